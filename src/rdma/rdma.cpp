#include "rdma/rdma.h"

#include <map>
#include <utility>

#include "core/strings.h"
#include "rdma/rdma_collector.h"
#include "rdma/rdma_parsers.h"

namespace ceems::rdma {

void register_rdma_flags(FlagSet& flags) {
  flags.add_bool("collector.rdma.stats", "Enables collection of RDMA stats (default: disabled)");
  flags.add_string("collector.rdma.cmd", "Path to rdma command", "", true);
}

Result<std::unique_ptr<UnitSubCollector>> make_collector(const HostFs& host, CommandRunner& runner,
                                                         Privileges& privileges, Options opts,
                                                         log::Logger logger) {
  if (!host.fs().is_dir(host.sys("class/infiniband"))) {
    logger.error("RDMA devices do not exist. RDMA collector wont return any data");
    return std::unique_ptr<UnitSubCollector>(
        std::make_unique<RdmaCollector>(host, runner, privileges, std::move(opts), std::string(),
                                        std::map<std::string, bool>{}, false, std::move(logger)));
  }

  std::string rdma_path = opts.rdma_cmd;
  if (rdma_path.empty()) {
    rdma_path = find_executable("rdma");
    if (rdma_path.empty()) {
      logger.error("rdma command not found on PATH; only InfiniBand port counters will be reported");
    }
  }

  std::map<std::string, bool> qp_modes;
  if (!rdma_path.empty()) {
    Command probe{{rdma_path, "statistic", "qp", "mode"}, kCommandTimeout};
    auto r = runner.run(probe);
    if (r) {
      qp_modes = parse_qp_mode(r->output);
    } else {
      logger.error("Failed to get RDMA qp mode", {{"err", r.error()}});
    }
  }
  if (!qp_modes.empty()) logger.info("Per-PID QP stats available");

  return std::unique_ptr<UnitSubCollector>(
      std::make_unique<RdmaCollector>(host, runner, privileges, std::move(opts), std::move(rdma_path),
                                      std::move(qp_modes), true, std::move(logger)));
}

}  // namespace ceems::rdma
