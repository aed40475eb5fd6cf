#include "units/pipeline.h"

#include <utility>

#include "units/sub_collector_table.h"

namespace ceems::units {

Result<std::vector<ComputeUnit>> UnitPipeline::units() {
  auto found = discovery.discover();
  if (!found) return found.error().wrap("failed to discover cgroups");
  discovery.walk(*found, subs.needs());
  return found;
}

void UnitPipeline::report(std::span<const ComputeUnit> units, MetricBatch& out,
                          const std::function<void()>& own_work, const log::Logger& logger) {
  subs.update(
      units, out,
      [&] {
        stats->collect(units, out);
        own_work();
      },
      logger);
}

Result<UnitPipeline> make_unit_pipeline(const CollectorContext& ctx, LayoutFactory layout,
                                        cgroup::StatsOptions sopts, SteadyClock clock) {
  cgroup::Hierarchy h = cgroup::hierarchy_from_flags(ctx.flags, ctx.host);
  Discovery discovery(ctx.host, layout(h.mode), h, ctx.logger, std::move(clock));
  ctx.logger.info("cgroup manager", {{"manager", discovery.description()}});
  const std::string name(discovery.name());
  sopts.active_subsystem = h.active_subsystem;
  auto stats = std::make_unique<cgroup::Stats>(ctx.host, h.mode, name, ctx.hostname, sopts, ctx.logger);
  auto subs = make_sub_collectors(SubCollectorEnv{ctx, name, h});
  if (!subs) return subs.error();
  return UnitPipeline{std::move(discovery), std::move(stats), std::move(*subs)};
}

}  // namespace ceems::units
