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

}  // namespace ceems::cgroup
