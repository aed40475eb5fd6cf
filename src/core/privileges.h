// Least privilege: the process keeps only the capabilities that the enabled
// collectors declare, with an empty effective set, and raises them on a
// short-lived dedicated thread for the duration of one privileged operation.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "core/result.h"

namespace ceems {

class Privileges {
 public:
  virtual ~Privileges() = default;
  // Runs fn on a fresh OS thread whose effective set holds caps (if permitted) and
  // waits for it. Failing to raise is logged and fn still runs (it then fails on
  // its own with a permission error).
  virtual Status run_with(std::string_view context, const std::vector<std::string>& caps,
                          const std::function<Status()>& fn) = 0;
};

// The real implementation on libcap.
class CapabilityPrivileges final : public Privileges {
 public:
  explicit CapabilityPrivileges(log::Logger logger) : logger_(std::move(logger)) {}
  Status run_with(std::string_view context, const std::vector<std::string>& caps,
                  const std::function<Status()>& fn) override;

 private:
  log::Logger logger_;
};

// Runs fn directly on the calling thread (tests, and --no-security.drop-privileges).
class NoPrivileges final : public Privileges {
 public:
  Status run_with(std::string_view, const std::vector<std::string>&,
                  const std::function<Status()>& fn) override {
    return fn();
  }
};

struct DropOptions {
  std::string user = "nobody";          // run-as user when started as root
  std::vector<std::string> keep_caps;   // union of the enabled collectors' capabilities
  std::vector<std::string> read_paths;  // must stay readable after the switch (web config)
};

// Must run while the process is single-threaded. As root: switch to opts.user keeping
// opts.keep_caps in the permitted set. Otherwise: reduce permitted to keep_caps. The
// effective and inheritable sets end empty in both cases.
Status drop_privileges(const DropOptions& opts, const log::Logger& logger);

// Capability names known to libcap; unknown names are reported in the error.
Result<std::vector<int>> capability_values(const std::vector<std::string>& names);

}  // namespace ceems
