// Grafana Alloy `discovery.http` targets (spec 16): one target per Slurm job
// process, so that pyroscope.ebpf labels profiles by job.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/privileges.h"
#include "core/result.h"
#include "units/discovery.h"

namespace ceems::slurm {

// --discoverer.alloy-targets.{resource-manager,env-var,self-profiler}.
void register_alloy_flags(FlagSet& flags);

struct TargetsResponse {
  int status = 200;
  std::string content_type;
  std::string body;
};

// Pure: the JSON document for these units (units without processes contribute
// nothing). self_pid > 0 appends the exporter's own target.
std::string targets_json(const std::vector<ComputeUnit>& units, pid_t self_pid);

class AlloyTargets {
 public:
  // Disabled (nullptr) when no resource manager is configured.
  static Result<std::unique_ptr<AlloyTargets>> create(const FlagSet& flags, const HostFs& host,
                                                      Privileges& privileges, log::Logger logger);

  AlloyTargets(const HostFs& host, Privileges& privileges, units::Discovery discovery,
               std::vector<std::string> env_vars, bool self_profiler, log::Logger logger);

  TargetsResponse serve() const;
  // Reading other users' environments needs these; unlike the original they are
  // added to the capabilities kept after the privilege drop.
  std::vector<std::string> capabilities() const;

 private:
  Status filter(std::vector<ComputeUnit>& units) const;

  const HostFs& host_;
  Privileges& privileges_;
  mutable std::mutex discovery_mu_;
  mutable units::Discovery discovery_;
  std::vector<std::string> env_vars_;
  bool self_profiler_;
  log::Logger logger_;
};

}  // namespace ceems::slurm
