// The exporter's start-up steps, in the order main runs them. Each logs its own
// failure with the line operators know ("Couldn't create collector", "Invalid web
// server flag", ...) and returns nothing or false, so main only sequences them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/collector.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/privileges.h"
#include "exporter/scrape.h"
#include "http/server.h"
#include "slurm/alloy_targets.h"

namespace ceems {

// Version, build context, host, and the open-files limit (raised to the hard one).
void log_startup(std::string_view program, const log::Logger& logger);

// The node name for `hostname` labels, or empty with --collector.empty-hostname-label.
std::string hostname_label(const FlagSet& flags, const log::Logger& logger);

struct CreatedCollectors {
  std::vector<NamedCollector> collectors;
  // The collectors' and the discoverer's: the union is kept after the drop. Unlike
  // the original, the discoverer's count too (they were dropped unless another
  // collector needed the same ones).
  std::vector<CapabilityNeed> capability_needs;
  bool runs_set_user_id_programs = false;
  std::shared_ptr<const slurm::AlloyTargets> alloy_targets;  // null without a resource manager
};

// Every enabled collector, in table order, and the Grafana Alloy targets
// discoverer. Probes that need the start-up privileges run here.
std::optional<CreatedCollectors> create_collectors(const CollectorContext& base);

// Server options from the --web.* flags, with the landing page unless metrics are
// served at "/".
std::optional<http::ServerOptions> web_server_options(const FlagSet& flags, std::string_view program,
                                                      std::string_view description,
                                                      const log::Logger& logger);

// As root, says whether privileges are dropped; drops them when the flags say so.
bool drop_startup_privileges(const FlagSet& flags, std::vector<CapabilityNeed> needs,
                             bool runs_set_user_id_programs, const log::Logger& logger);

// The --web.targets-path handler: the discoverer's answer, or "[]" without one.
http::Handler alloy_targets_handler(std::shared_ptr<const slurm::AlloyTargets> discoverer);

}  // namespace ceems
