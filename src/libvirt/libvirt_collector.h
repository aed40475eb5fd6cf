// The `libvirt` collector (spec 12): QEMU/KVM domains started by libvirt as
// compute units, labelled with their domain UUID, with cgroup stats, the GPU ->
// instance mapping read from the instance XML (libvirt's status file of the
// running domain, else its persistent definition), and the RDMA sub-collector.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "core/collector.h"
#include "core/flags.h"
#include "core/result.h"

namespace ceems::libvirt {

// --collector.libvirt.{swap-memory-metrics,psi-metrics,blkio-metrics} and the
// hidden --collector.libvirt.{xml-dir,runtime-xml-dir}.
void register_libvirt_flags(FlagSet& flags);

Result<std::unique_ptr<Collector>> make_libvirt_collector(const CollectorContext& ctx);

// As above with the clock that ages the instance-properties cache (tests).
using Clock = std::function<std::chrono::steady_clock::time_point()>;
Result<std::unique_ptr<Collector>> make_libvirt_collector(const CollectorContext& ctx, Clock clock);

}  // namespace ceems::libvirt
