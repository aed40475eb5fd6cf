// Seams between the collector and the kernel: the feature probe and the source of
// map snapshots. The libbpf implementations live in libbpf_programs.h; tests use
// doubles.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"
#include "ebpf/aggregate.h"
#include "ebpf/attach_plan.h"

namespace ceems::ebpf {

struct LoadConfig {
  bool io = false;
  bool net = false;
  bool use_v1 = false;         // programs read the v1 css id of v1_subsys_idx
  uint32_t v1_subsys_idx = 0;  // line index of the active subsystem in /proc/cgroups
  std::string cgroup2_root;    // where cgroup_skb programs attach; empty: no v2 hierarchy
};

class FeatureProbe {
 public:
  virtual ~FeatureProbe() = default;
  FeatureProbe() = default;
  FeatureProbe(const FeatureProbe&) = delete;
  FeatureProbe& operator=(const FeatureProbe&) = delete;
  // Loads and attaches each candidate of the requested hooks (then detaches it).
  virtual Features probe(const LoadConfig& cfg) = 0;
};

// Probes, logs the features and the method of every program at info
// ("eBPF attach method"), and fails when a requested hook has no working method.
Result<Plan> build_plan(FeatureProbe& probe, const LoadConfig& cfg, const log::Logger& logger);

class MapSource {
 public:
  virtual ~MapSource() = default;
  MapSource() = default;
  MapSource(const MapSource&) = delete;
  MapSource& operator=(const MapSource&) = delete;
  // All entries of the accumulator maps; entries of the given cgroup ids (dead
  // cgroups) are deleted from the VFS resp. network maps on the way.
  virtual Result<MapSnapshot> read(const std::vector<uint64_t>& forget_io,
                                   const std::vector<uint64_t>& forget_net) = 0;
  // Detaches every program and unloads the objects.
  virtual void close() = 0;
};

}  // namespace ceems::ebpf
