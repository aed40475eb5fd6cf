#include "cgroup/sub_collector_factory.h"

#include "ebpf/ebpf.h"
#include "perf/perf.h"
#include "rdma/rdma.h"

namespace ceems::cgroup {

bool sub_collectors_need_children(const FlagSet& flags) { return ebpf::enabled(flags); }

Result<SubCollectors> make_sub_collectors(const CollectorContext& ctx, const std::string& manager,
                                          const ManagerOptions& mopts) {
  const FlagSet& flags = ctx.flags;
  SubCollectors subs;
  if (perf::enabled(flags)) {
    auto p = perf::make_collector(flags, ctx.host, ctx.privileges, {manager, ctx.hostname},
                                  ctx.logger.with("sub_collector", "perf"));
    if (!p) return p.error().wrap("failed to create perf collector");
    subs.add("perf", std::move(*p));
  }
  if (ebpf::enabled(flags)) {
    auto e = ebpf::make_collector(flags, ctx.host, ctx.privileges,
                                  {manager, ctx.hostname, mopts.mode, mopts.active_subsystem},
                                  ctx.logger.with("sub_collector", "ebpf"));
    if (e) {
      subs.add("ebpf", std::move(*e));
    } else {
      ctx.logger.error("eBPF sub-collector unavailable, continuing without it", {{"err", e.error()}});
    }
  }
  if (flags.get_bool("collector.rdma.stats")) {
    auto r = rdma::make_collector(ctx.host, ctx.runner, ctx.privileges,
                                  {manager, ctx.hostname, flags.get_string("collector.rdma.cmd")},
                                  ctx.logger.with("sub_collector", "rdma"));
    if (!r) return r.error().wrap("failed to create RDMA collector");
    subs.add("rdma", std::move(*r));
  }
  return subs;
}

Result<UnitPipeline> make_unit_pipeline(const CollectorContext& ctx, ManagerKind kind, StatsOptions sopts) {
  ManagerOptions mopts = manager_options(ctx.flags, ctx.host.cgroupfs_root(), kind);
  mopts.keep_children = sub_collectors_need_children(ctx.flags);
  Manager manager(ctx.host, mopts, ctx.logger);
  ctx.logger.info("cgroup manager", {{"manager", manager.description()}});
  const std::string name(manager.name());
  sopts.active_subsystem = mopts.active_subsystem;
  auto stats = std::make_unique<Stats>(ctx.host, mopts.mode, name, ctx.hostname, sopts, ctx.logger);
  auto subs = make_sub_collectors(ctx, name, mopts);
  if (!subs) return subs.error();
  return UnitPipeline{std::move(manager), std::move(stats), std::move(*subs)};
}

}  // namespace ceems::cgroup
