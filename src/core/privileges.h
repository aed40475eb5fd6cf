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

// The capabilities one part of the program (a collector) needs, for the start-up
// warning that names what a process without them will miss.
struct CapabilityNeed {
  std::string who;
  std::vector<std::string> caps;
};

struct DropOptions {
  std::string user = "nobody";          // run-as user when started as root
  std::vector<CapabilityNeed> needs;    // the enabled collectors'; their union is kept
  std::vector<std::string> read_paths;  // must stay readable after the switch (web config)
  // A collector executes a set-user-ID program (sudo). Also implied when cap_setuid is
  // kept: a tool run as uid 0 gets root's capabilities only through the bounding set.
  // Either way the bounding set stays whole and NO_NEW_PRIVS is not set.
  bool children_gain_privileges = false;
};

// Must run while the process is single-threaded. As root: switch to opts.user keeping
// the needed capabilities in the permitted set. Otherwise: reduce permitted to them,
// warning once per need the process cannot meet. The effective and inheritable sets
// end empty in both cases. Unless children must gain privileges, the bounding set is
// reduced to the kept capabilities (where cap_setpcap allows) and NO_NEW_PRIVS is set.
Status drop_privileges(const DropOptions& opts, const log::Logger& logger);

// For a program that keeps its user and needs no capability at run time (the Redfish
// proxy): reduces the bounding set to keep where cap_setpcap is effective, and sets
// NO_NEW_PRIVS, so that nothing it executes or becomes can gain privileges.
Status confine_process(const std::vector<std::string>& keep, const log::Logger& logger);

// Capability names known to libcap; unknown names are reported in the error.
Result<std::vector<int>> capability_values(const std::vector<std::string>& names);

}  // namespace ceems
