// The emissions collector as the exporter builds it (flags, environment) for the
// factory tests: environment variables set for one scope, a collector from arguments.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/collector.h"
#include "core/command_runner.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/privileges.h"
#include "core/testing/fake_runner.h"
#include "emissions/emissions.h"

namespace ceems::emissions::test {

// Sets (or, with nullptr, unsets) an environment variable until the end of the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The collector from these command-line arguments and the current environment.
inline Result<std::unique_ptr<Collector>> make_from_flags(const std::vector<std::string>& args) {
  FlagSet flags("test");
  register_emissions_flags(flags);
  EXPECT_TRUE(flags.parse(args).ok());
  HostFs host("/proc", "/sys", "/sys/fs/cgroup");
  test_support::NoCommands runner;
  NoPrivileges privileges;
  CollectorContext ctx{flags, host, runner, privileges, "", false, {}};
  return ceems::make_emissions_collector(ctx);
}

}  // namespace ceems::emissions::test
