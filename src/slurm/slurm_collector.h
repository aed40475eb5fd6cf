// The `slurm` collector (spec 11): Slurm jobs as compute units, with cgroup
// stats, the GPU -> job mapping and the RDMA sub-collector.
#pragma once

#include <memory>

#include "core/collector.h"
#include "core/flags.h"
#include "core/result.h"

namespace ceems::slurm {

void register_slurm_flags(FlagSet& flags);
Result<std::unique_ptr<Collector>> make_slurm_collector(const CollectorContext& ctx);

}  // namespace ceems::slurm
