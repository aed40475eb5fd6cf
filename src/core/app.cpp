#include "core/app.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <cstdio>
#include <iostream>

#include "core/log.h"

namespace ceems::app {

uint64_t raise_open_files_limit() {
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    struct rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(lim.rlim_cur);
}

void register_logging_flags(FlagSet& f) {
  f.add(FlagSpec{
      .name = "log.level",
      .kind = FlagKind::kEnum,
      .help = "Only log messages with the given severity or above. One of: [debug, info, warn, error]",
      .defaults = {"info"},
      .choices = {"debug", "info", "warn", "error"}});
  f.add(FlagSpec{.name = "log.format",
                 .kind = FlagKind::kEnum,
                 .help = "Output format of log messages. One of: [logfmt, json]",
                 .defaults = {"logfmt"},
                 .choices = {"logfmt", "json"}});
}

std::optional<int> parse_command_line(FlagSet& flags, int argc, char** argv, const std::string& version_text,
                                      int error_status) {
  auto parsed = flags.parse(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed) {
    std::fprintf(stderr, "failed to parse CLI flags: %s\n", parsed.error().message().c_str());
    return error_status;
  }
  if (parsed->help_man) {
    std::cout << flags.man_page(version_text.substr(0, version_text.find('\n')));
    return 0;
  }
  if (parsed->help || parsed->help_long) {
    std::cout << flags.usage();
    return 0;
  }
  if (parsed->version) {
    std::cout << version_text;
    return 0;
  }
  // The enum flags were validated by the parser, so these cannot fail.
  log::configure(*log::parse_level(flags.get_string("log.level")),
                 *log::parse_format(flags.get_string("log.format")));
  return std::nullopt;
}

std::string host_description() {
  struct utsname u {};
  if (::uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

int guarded_main(const char* program, int (*run)(int, char**), int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: fatal: %s\n", program, e.what());
    return 1;
  }
}

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  // The original dies on SIGHUP (Go's default) without a word; here it is an orderly
  // stop like SIGTERM. Nothing needs a reload signal: the web config is re-read when
  // it changes.
  sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  // A client closing its connection mid-response must not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
}

std::string StopSignals::wait() {
  int sig = 0;
  sigwait(&set_, &sig);
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "SIGINT";
  }
}

}  // namespace ceems::app
