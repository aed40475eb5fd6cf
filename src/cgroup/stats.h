// Per-unit cgroup accounting (spec 10 §4) and the ceems_compute_unit_* metrics (§6).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "cgroup/mode.h"
#include "core/compute_unit.h"
#include "core/filesystem.h"
#include "core/log.h"
#include "core/metrics.h"

namespace ceems::cgroup {

struct StatsOptions {
  bool swap = false;
  bool psi = false;
  bool blkio = false;
  unsigned threads = 0;  // readers per scrape; 0 = min(hardware threads, 8)
  // v1: the hierarchy the manager walked (--collector.cgroup.active-subsystem). Only
  // used to tell a unit that vanished during the scrape from one that is unreadable.
  std::string active_subsystem = "cpuacct";
};

struct DeviceIo {
  uint64_t read_bytes = 0, write_bytes = 0, read_requests = 0, write_requests = 0;
};
struct RdmaCount {
  uint64_t handles = 0, objects = 0;
};

struct UnitStats {
  double cpu_user_seconds = 0, cpu_system_seconds = 0;
  uint64_t cpus = 0;
  uint64_t memory_rss = 0, memory_cache = 0, memory_used = 0, memory_total = 0, memory_fail_count = 0;
  uint64_t memsw_used = 0, memsw_total = 0, memsw_fail_count = 0;
  double cpu_psi_seconds = 0, memory_psi_seconds = 0;
  std::map<std::string, DeviceIo> blkio;  // by device name ("" when unknown)
  std::map<std::string, RdmaCount> rdma;  // by RDMA device
  bool error = false;                     // ceems_compute_unit_collect_error
  std::string error_detail;               // why error is set (logged by collect)
  // The unit's root cgroup no longer existed after reading (the job ended during
  // the scrape): collect drops the unit from the scrape.
  bool vanished = false;
  // Readers' bookkeeping: an expected file was absent (read then checks whether
  // the unit vanished; a unit whose files are all there is not checked), and
  // whether any file was found at all.
  bool saw_missing = false;
  bool saw_file = false;
};

class Stats {
 public:
  // Reads <procfs>/meminfo and <procfs>/diskstats once (failures logged).
  Stats(const HostFs& host, Mode mode, std::string manager, std::string hostname, StatsOptions opts,
        log::Logger logger);

  // Reads one unit's cgroup files. Public for tests and benchmarks.
  UnitStats read(const ComputeUnit& unit) const;

  // The hierarchy's directories, held open for one scrape: units' directories
  // are opened relative to them (a few path components instead of the whole
  // path from /).
  struct Bases {
    DirHandle v2;
    std::vector<DirHandle> v1;  // by V1Controller; empty handles where absent
  };

  // Reads every unit (in parallel) and appends ceems_compute_units and the
  // per-unit families to out. A unit whose cgroup vanished mid-read is dropped
  // from this scrape.
  void collect(std::span<const ComputeUnit> units, MetricBatch& out);

 private:
  const HostFs& host_;
  Mode mode_;
  std::string manager_;
  std::string hostname_;
  StatsOptions opts_;
  log::Logger logger_;
  // What cannot change while a unit lives, by unit path, with the inode of the
  // unit's directory (a directory created again under the same name, a requeued
  // job, has another inode and is read again): its CPU count (Slurm and libvirt
  // set a unit's cpuset when they create it) and, on v2, the controllers its
  // cgroup has and whether rdma.current exists (the manager enables the
  // controllers in the parent when it creates the unit; one enabled later by
  // hand shows in units created afterwards).
  struct UnitEntry {
    uint64_t inode = 0;
    uint64_t cpus = 0;  // 0: not known yet
    bool controllers_known = false;
    bool has_cpu = false, has_memory = false;
    bool rdma_checked = false, has_rdma_file = false;
    uint64_t scrape = 0;  // the last scrape that saw the unit
  };
  UnitStats read(const ComputeUnit& unit, const Bases& bases) const;
  Bases open_bases() const;
  void read_v1(const ComputeUnit& unit, const Bases& bases, UnitStats& s) const;  // stats_v1.cpp
  void read_v2(const ComputeUnit& unit, const Bases& bases, UnitEntry& e,
               UnitStats& s) const;  // stats_v2.cpp
  uint64_t read_cpus(const ComputeUnit& unit, const Bases& bases) const;
  bool vanished(const ComputeUnit& unit) const;
  void check_v1_hierarchies();

  // v1: the controllers the reader looks at, and whether each one's hierarchy
  // exists (checked once per scrape, before the readers start).
  static constexpr const char* kV1Controllers[] = {"cpuacct", "memory", "rdma", "pids", "blkio", "cpuset"};
  enum V1Controller { kCpuacct, kMemory, kRdma, kPids, kBlkio, kCpuset, kV1Count };
  bool v1_present_[kV1Count] = {true, true, true, true, true, true};

  uint64_t mem_total_ = 0, swap_total_ = 0;
  // v1 blkio needs the host's block device list (the original opens /proc/partitions).
  bool block_device_list_ = false;
  std::unordered_map<std::string, std::string> block_devices_;  // "maj:min" -> name
  UnitEntry unit_entry(const ComputeUnit& unit) const;
  void keep_unit_entry(const ComputeUnit& unit, const UnitEntry& e) const;
  mutable std::mutex units_mu_;
  mutable std::unordered_map<std::string, UnitEntry> units_;  // by unit path
  uint64_t scrape_ = 0;
};

}  // namespace ceems::cgroup
