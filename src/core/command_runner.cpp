#include "core/command_runner.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/strings.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace ceems {
namespace {

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

using Clock = std::chrono::steady_clock;

}  // namespace

std::string find_executable(const std::string& name, const std::vector<std::string>& extra_dirs) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? name : std::string();
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    for (auto d : split(path, ':')) dirs.emplace_back(d.empty() ? "." : d);
  }
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  for (const auto& d : dirs) {
    std::string candidate = d + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return {};
}

Result<CommandOutput> ProcessRunner::run(const Command& cmd) {
  if (cmd.argv.empty()) return invalid("empty command");
  const std::string& prog = cmd.argv.front();
  std::string path = find_executable(prog);
  if (path.empty()) return Error(ErrorKind::kNotFound, "executable " + quote_for_error(prog) + " not found");

  // Everything the child needs is prepared before fork: after fork in a threaded
  // process only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (const auto& a : cmd.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env_storage.emplace_back(*e);
  for (const auto& extra : cmd.extra_env) {
    auto key = extra.substr(0, extra.find('=') + 1);
    std::erase_if(env_storage, [&](const std::string& s) { return starts_with(s, key); });
    env_storage.push_back(extra);
  }
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  bool is_sudo = prog == "sudo" || ends_with(path, "/sudo");

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Error::from_errno(errno, "pipe for " + prog);
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    if (devnull >= 0) ::close(devnull);
    return Error::from_errno(err, "fork for " + prog);
  }
  if (pid == 0) {
    // sudo gets its own session so it can never prompt on a terminal; others a process group.
    if (is_sudo) {
      ::setsid();
    } else {
      ::setpgid(0, 0);
    }
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(cmd.merge_stderr ? out_pipe[1] : (devnull >= 0 ? devnull : out_pipe[1]), 2);
    if (cmd.gid) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(*cmd.gid) != 0) ::_exit(126);
    }
    if (cmd.uid && ::setuid(*cmd.uid) != 0) ::_exit(126);
    ::execve(path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  if (devnull >= 0) ::close(devnull);

  CommandOutput result;
  auto deadline = Clock::now() + cmd.timeout;
  bool timed_out = false;
  char buf[16384];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd pfd {
      out_pipe[0], POLLIN, 0
    };
    int pr = ::poll(&pfd, 1, static_cast<int>(left));
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pr == 0) {
      timed_out = true;
      break;
    }
    ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: every writer (child and its children) closed the pipe
    size_t room = cmd.max_output > result.output.size() ? cmd.max_output - result.output.size() : 0;
    if (static_cast<size_t>(n) > room) result.truncated = true;
    result.output.append(buf, std::min(room, static_cast<size_t>(n)));
  }
  ::close(out_pipe[0]);
  if (timed_out) {
    // The whole group: grandchildren holding the pipe must not outlive the timeout.
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Error(ErrorKind::kTimeout, "command " + quote_for_error(prog) + " timed out after " +
                                          std::to_string(cmd.timeout.count()) + " ms");
  }
  if (WIFSIGNALED(status)) {
    return Error(ErrorKind::kIo, "command " + quote_for_error(prog) + " killed by signal " +
                                     std::to_string(WTERMSIG(status)));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (result.exit_code == 127)
    return Error(ErrorKind::kNotFound, "command " + quote_for_error(prog) + " could not be executed");
  if (result.exit_code != 0) {
    return Error(ErrorKind::kIo, "command " + quote_for_error(prog) + " exited with status " +
                                     std::to_string(result.exit_code) + ": " +
                                     quote_for_error(trim(result.output), 200));
  }
  return result;
}

}  // namespace ceems
