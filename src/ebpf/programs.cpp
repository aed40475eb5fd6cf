#include "ebpf/programs.h"

#include <string_view>

namespace ceems::ebpf {

Result<Plan> build_plan(FeatureProbe& probe, const LoadConfig& cfg, const log::Logger& logger) {
  const Features f = probe.probe(cfg);
  logger.info("eBPF kernel features probed", {{"working", describe(f)}});
  const Plan plan = choose_attach(f);
  const auto log_method = [&](std::string_view program, Method m) {
    logger.info("eBPF attach method", {{"program", program}, {"method", method_name(m)}});
  };
  if (cfg.io) log_method("vfs", plan.vfs);
  if (cfg.net) {
    log_method("network", plan.net);
    log_method("tcp_retransmit", plan.retrans);
  }
  if (plan_covers(plan, cfg.io, cfg.net)) return plan;

  const bool io_missing = cfg.io && plan.vfs == Method::kNone;
  const bool net_missing = cfg.net && plan.net == Method::kNone;
  std::string missing;
  if (io_missing) missing = "VFS IO (tried fentry, kprobe, tp_btf, raw_tracepoint, tracepoint)";
  if (net_missing) {
    if (!missing.empty()) missing += " and ";
    missing += "network (tried fentry, kprobe, cgroup_skb";
    // cgroup_skb attaches to the cgroup v2 root: a path that is not a mounted
    // cgroup2 file system fails it whatever the privileges.
    if (!cfg.cgroup2_root.empty()) missing += " on the cgroup v2 root " + cfg.cgroup2_root;
    missing += ")";
  }
  const std::string why = "no eBPF attach method works on this kernel for " + missing +
                          ": BPF disabled, no BTF, missing privileges, or no cgroup v2 root to attach "
                          "to (see debug log for libbpf messages)";
  // One of two requested parts working is worth keeping: drop only the other.
  if ((cfg.io && !io_missing) || (cfg.net && !net_missing)) {
    logger.warn("eBPF metrics partly unavailable, continuing with the others",
                {{"unavailable", io_missing ? "io" : "network"}, {"err", why}});
    return plan;
  }
  return Error(ErrorKind::kNotFound, why);
  return plan;
}

}  // namespace ceems::ebpf
