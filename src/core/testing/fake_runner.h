// Command runners for tests: one that refuses everything, and one that answers
// from a script and records what was asked.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/command_runner.h"

namespace ceems::test_support {

// For collectors that must not execute anything in a test.
class NoCommands final : public CommandRunner {
 public:
  Result<CommandOutput> run(const Command&) override { return Error(ErrorKind::kIo, "no commands in tests"); }
};

// Answers by the command's arguments (argv after the program, joined by single
// spaces): an exact rule first, then the longest rule the arguments begin with,
// then the fallback. With none, the command fails as a tool exiting 1 would.
// Records every command. Thread-safe: collectors run commands concurrently; the
// fallback runs outside the lock and may itself look at calls().
class FakeRunner final : public CommandRunner {
 public:
  using Handler = std::function<Result<CommandOutput>(const Command&)>;

  static Result<CommandOutput> ok(std::string_view output) {
    return CommandOutput{std::string(output), 0, false};
  }
  // A command's arguments as rules and call_args() spell them.
  static std::string args(const Command& cmd) {
    std::string out;
    for (size_t i = 1; i < cmd.argv.size(); ++i) {
      if (i > 1) out += ' ';
      out += cmd.argv[i];
    }
    return out;
  }

  // Replaces an earlier rule for the same arguments.
  void answer(std::string args, Result<CommandOutput> reply) {
    std::lock_guard lock(mu_);
    exact_.insert_or_assign(std::move(args), std::move(reply));
  }
  void answer(std::string args, std::string_view output) { answer(std::move(args), ok(output)); }
  // For commands whose arguments are args followed by more (whole words).
  void answer_prefix(std::string args, Result<CommandOutput> reply) {
    std::lock_guard lock(mu_);
    prefix_.insert_or_assign(std::move(args), std::move(reply));
  }
  void answer_prefix(std::string args, std::string_view output) {
    answer_prefix(std::move(args), ok(output));
  }
  void forget(const std::string& args) {
    std::lock_guard lock(mu_);
    exact_.erase(args);
    prefix_.erase(args);
  }
  void fallback(Handler fn) {
    std::lock_guard lock(mu_);
    fallback_ = std::move(fn);
  }
  // Commands for any other program fail as not found.
  void only_program(std::string program) {
    std::lock_guard lock(mu_);
    program_ = std::move(program);
  }

  Result<CommandOutput> run(const Command& cmd) override {
    const std::string a = args(cmd);
    Handler fn;
    {
      std::lock_guard lock(mu_);
      calls_.push_back(cmd);
      if (!program_.empty() && (cmd.argv.empty() || cmd.argv[0] != program_)) {
        return Error(ErrorKind::kNotFound, "unexpected program");
      }
      if (auto it = exact_.find(a); it != exact_.end()) return it->second;
      const Result<CommandOutput>* best = nullptr;
      size_t best_len = 0;
      for (const auto& [prefix, reply] : prefix_) {
        if (starts_with_words(a, prefix) && (best == nullptr || prefix.size() > best_len)) {
          best = &reply;
          best_len = prefix.size();
        }
      }
      if (best != nullptr) return *best;
      fn = fallback_;
    }
    if (fn) return fn(cmd);
    return Error(ErrorKind::kIo, "command exited with status 1");
  }

  std::vector<Command> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> call_args() const {
    std::vector<std::string> out;
    for (const Command& c : calls()) out.push_back(args(c));
    return out;
  }
  // Calls whose arguments are args, or begin with it (whole words).
  size_t count(std::string_view args_prefix) const {
    size_t n = 0;
    for (const std::string& a : call_args()) n += starts_with_words(a, args_prefix) ? 1 : 0;
    return n;
  }
  void clear_calls() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }

 private:
  static bool starts_with_words(std::string_view args, std::string_view prefix) {
    if (prefix.empty()) return true;
    return args.starts_with(prefix) && (args.size() == prefix.size() || args[prefix.size()] == ' ');
  }

  mutable std::mutex mu_;
  std::map<std::string, Result<CommandOutput>, std::less<>> exact_;
  std::map<std::string, Result<CommandOutput>, std::less<>> prefix_;
  Handler fallback_;
  std::string program_;
  std::vector<Command> calls_;
};

}  // namespace ceems::test_support
