// The eBPF unit sub-collector: maps the cgroups of each compute unit to cgroup
// ids, reads the BPF maps and emits the spec 15 metrics.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/compute_unit.h"
#include "core/filesystem.h"
#include "core/log.h"
#include "core/privileges.h"
#include "ebpf/aggregate.h"
#include "ebpf/programs.h"

namespace ceems::ebpf {

struct CollectorConfig {
  std::string manager;
  std::string hostname;
  bool io = false;
  bool net = false;
  std::vector<std::string> mount_filters;
  // The directory the units' relative cgroup paths are resolved against to get
  // the ids the VFS maps use: <cg> on v2, <cg>/<active subsystem> on v1.
  std::string io_base;
  // The same for the network maps: io_base for the function hooks, the cgroup v2
  // root for cgroup_skb (on a hybrid host <cg>/unified; empty when there is none).
  std::string net_base;
  // Map reads need cap_bpf and cap_perfmon (older kernels with unprivileged BPF
  // disabled); otherwise the held descriptors suffice.
  bool map_reads_need_caps = false;
};

class EbpfCollector final : public UnitSubCollector {
 public:
  EbpfCollector(const HostFs& host, Privileges& privileges, CollectorConfig cfg,
                std::unique_ptr<MapSource> maps, log::Logger logger);
  ~EbpfCollector() override;
  EbpfCollector(const EbpfCollector&) = delete;
  EbpfCollector& operator=(const EbpfCollector&) = delete;

  Status update(std::span<const ComputeUnit> units, MetricBatch& out) override;
  void stop() override;
  std::vector<std::string> capabilities() const override;

 private:
  using PathsById = std::unordered_map<uint64_t, std::string>;
  void index_units(std::span<const ComputeUnit> units, const std::string& base, IdIndex& ids,
                   PathsById& paths) const;
  // Ids seen at the last scrape whose cgroup directory is gone now.
  std::vector<uint64_t> dead_ids(const PathsById& last, const IdIndex& now, PathsById& keep) const;

  const HostFs& host_;
  Privileges& privileges_;
  CollectorConfig cfg_;
  std::unique_ptr<MapSource> maps_;
  log::Logger logger_;
  PathsById last_io_;
  PathsById last_net_;
};

}  // namespace ceems::ebpf
