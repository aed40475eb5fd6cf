#include "units/sub_collector_table.h"

#include "ebpf/ebpf.h"
#include "perf/perf.h"
#include "rdma/rdma.h"

namespace ceems::units {
namespace {

Result<std::unique_ptr<UnitSubCollector>> make_perf(const SubCollectorEnv& env) {
  const CollectorContext& ctx = env.ctx;
  return perf::make_collector(ctx.flags, ctx.host, ctx.privileges, {env.manager, ctx.hostname},
                              ctx.logger.with("sub_collector", "perf"));
}

Result<std::unique_ptr<UnitSubCollector>> make_ebpf(const SubCollectorEnv& env) {
  const CollectorContext& ctx = env.ctx;
  return ebpf::make_collector(ctx.flags, ctx.host, ctx.privileges,
                              {env.manager, ctx.hostname, env.hierarchy.mode, env.hierarchy.active_subsystem},
                              ctx.logger.with("sub_collector", "ebpf"));
}

bool rdma_enabled(const FlagSet& flags) { return flags.get_bool("collector.rdma.stats"); }

Result<std::unique_ptr<UnitSubCollector>> make_rdma(const SubCollectorEnv& env) {
  const CollectorContext& ctx = env.ctx;
  return rdma::make_collector(ctx.host, ctx.runner, ctx.privileges,
                              {env.manager, ctx.hostname, ctx.flags.get_string("collector.rdma.cmd")},
                              ctx.logger.with("sub_collector", "rdma"));
}

}  // namespace

std::span<const SubCollectorInfo> sub_collector_table() {
  // perf opens counters per process; eBPF maps the cgroup ids its programs
  // report (a task's own cgroup, a step or task below the unit) to units; RDMA
  // maps the PIDs of `rdma resource` lines to units.
  static const SubCollectorInfo table[] = {
      {"perf", &perf::register_perf_flags, &perf::enabled, {.procs = true}, false, &make_perf},
      {"ebpf", &ebpf::register_ebpf_flags, &ebpf::enabled, {.children = true}, true, &make_ebpf},
      {"rdma", &rdma::register_rdma_flags, &rdma_enabled, {.procs = true}, false, &make_rdma},
  };
  return table;
}

void register_sub_collector_flags(FlagSet& flags) {
  for (const auto& row : sub_collector_table()) row.register_flags(flags);
}

Result<SubCollectors> make_sub_collectors(const SubCollectorEnv& env) {
  SubCollectors subs;
  for (const auto& row : sub_collector_table()) {
    if (!row.enabled(env.ctx.flags)) continue;
    auto sub = row.create(env);
    if (!sub) {
      if (!row.optional) return sub.error().wrap("failed to create " + std::string(row.name) + " collector");
      env.ctx.logger.error(std::string(row.name) + " sub-collector unavailable, continuing without it",
                           {{"err", sub.error()}});
      continue;
    }
    subs.add(std::string(row.name), std::move(*sub), row.needs);
  }
  return subs;
}

}  // namespace ceems::units
