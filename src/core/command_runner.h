// Running external programs: argument vectors only (never a shell), a timeout on
// every call, bounded output. Behind an interface so collectors can be tested
// with recorded tool output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace ceems {

struct Command {
  std::vector<std::string> argv;  // argv[0] is looked up on $PATH when it has no '/'
  std::chrono::milliseconds timeout{5000};
  size_t max_output = 1 << 20;         // stdout+stderr beyond this is discarded and flagged
  std::vector<std::string> extra_env;  // NAME=value appended to the inherited environment
  std::optional<uid_t> uid;            // switch user in the child (needs CAP_SETUID)
  std::optional<gid_t> gid;
  bool merge_stderr = true;  // stderr captured with stdout (the tools mix them)
};

struct CommandOutput {
  std::string output;
  int exit_code = 0;
  bool truncated = false;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Fails on spawn error, timeout (child's process group killed), signal death or
  // non-zero exit; the error names the program.
  virtual Result<CommandOutput> run(const Command& cmd) = 0;
};

class ProcessRunner final : public CommandRunner {
 public:
  Result<CommandOutput> run(const Command& cmd) override;
};

// Looks a program up on $PATH and then in extra_dirs; empty when not found.
std::string find_executable(const std::string& name, const std::vector<std::string>& extra_dirs = {});

}  // namespace ceems
