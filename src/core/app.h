// Start-up plumbing shared by the binaries: the logging flags, command-line
// parsing with --help/--version, and synchronous handling of stop signals.
#pragma once

#include <signal.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/flags.h"

namespace ceems::app {

// --log.level and --log.format with the Prometheus exporter help texts.
void register_logging_flags(FlagSet& flags);

// Parses argv and applies the logging flags. Returns an exit code when the process
// should end now (--help, --version: 0; a parse error,
// printed to stderr: error_status). Deprecated aliases are reported by the collectors
// that own them, with the message the original prints.
// error_status: what a parse error exits with (redfish_proxy keeps the original's 2).
std::optional<int> parse_command_line(FlagSet& flags, int argc, char** argv, const std::string& version_text,
                                      int error_status = 1);

// Raises the soft limit of open files to the hard limit (as Go's runtime does at
// start-up), so that the connection limit, not the descriptor limit, decides how many
// clients are served. Returns the soft limit now in force.
uint64_t raise_open_files_limit();

// "sysname release version machine" of the running kernel, for the start-up log.
std::string host_description();

// Runs run(argc, argv), turning an escaping exception (a programming or fatal
// start-up error) into one line on stderr and exit status 1.
int guarded_main(const char* program, int (*run)(int, char**), int argc, char** argv);

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it creates later,
// so that only wait() receives them. Construct before starting any thread.
class StopSignals {
 public:
  StopSignals();
  // Blocks until one of them arrives; returns its name.
  std::string wait();

 private:
  sigset_t set_{};
};

}  // namespace ceems::app
