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
  if (!plan_covers(plan, cfg.io, cfg.net)) {
    std::string missing;
    if (cfg.io && plan.vfs == Method::kNone)
      missing = "VFS IO (tried fentry, kprobe, tp_btf, raw_tracepoint, tracepoint)";
    if (cfg.net && plan.net == Method::kNone) {
      if (!missing.empty()) missing += " and ";
      missing += "network (tried fentry, kprobe, cgroup_skb)";
    }
    return Error(ErrorKind::kNotFound,
                 "no eBPF attach method works on this kernel for " + missing +
                     ": BPF disabled, no BTF, or missing privileges (see debug log for libbpf messages)");
  }
  return plan;
}

}  // namespace ceems::ebpf
