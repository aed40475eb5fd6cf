#include "cgroup/stats.h"

#include <algorithm>
#include <thread>

#include "cgroup/parsers.h"
#include "cgroup/stats_files.h"
#include "core/parallel.h"
#include "core/strings.h"

namespace ceems::cgroup {
namespace {

// Metric families of spec 10 §6 (names, help texts and label order verbatim).
const MetricDesc& desc_units() {
  static const MetricDesc d{
      "ceems_compute_units", "Total number of jobs", MetricType::kGauge, {"manager", "hostname"}};
  return d;
}
MetricDesc unit_desc(const char* name, const char* help, MetricType type = MetricType::kGauge) {
  return {name, help, type, {"manager", "hostname", "uuid"}};
}
MetricDesc device_desc(const char* name, const char* help) {
  return {name, help, MetricType::kGauge, {"manager", "hostname", "uuid", "device"}};
}

struct Descs {
  MetricDesc cpu_user = unit_desc("ceems_compute_unit_cpu_user_seconds_total", "Total job CPU user seconds",
                                  MetricType::kCounter);
  MetricDesc cpu_system = unit_desc("ceems_compute_unit_cpu_system_seconds_total",
                                    "Total job CPU system seconds", MetricType::kCounter);
  MetricDesc cpus = unit_desc("ceems_compute_unit_cpus", "Total number of job CPUs");
  MetricDesc memory_rss = unit_desc("ceems_compute_unit_memory_rss_bytes", "Memory RSS used in bytes");
  MetricDesc memory_cache = unit_desc("ceems_compute_unit_memory_cache_bytes", "Memory cache used in bytes");
  MetricDesc memory_used = unit_desc("ceems_compute_unit_memory_used_bytes", "Memory used in bytes");
  MetricDesc memory_total = unit_desc("ceems_compute_unit_memory_total_bytes", "Memory total in bytes");
  MetricDesc memory_fail_count = unit_desc("ceems_compute_unit_memory_fail_count", "Memory fail count");
  MetricDesc memsw_used = unit_desc("ceems_compute_unit_memsw_used_bytes", "Swap used in bytes");
  MetricDesc memsw_total = unit_desc("ceems_compute_unit_memsw_total_bytes", "Swap total in bytes");
  MetricDesc memsw_fail_count = unit_desc("ceems_compute_unit_memsw_fail_count", "Swap fail count");
  MetricDesc cpu_psi = unit_desc("ceems_compute_unit_cpu_psi_seconds", "Total CPU PSI in seconds");
  MetricDesc memory_psi = unit_desc("ceems_compute_unit_memory_psi_seconds", "Total memory PSI in seconds");
  MetricDesc blkio_read_bytes =
      device_desc("ceems_compute_unit_blkio_read_total_bytes", "Total block IO read bytes");
  MetricDesc blkio_write_bytes =
      device_desc("ceems_compute_unit_blkio_write_total_bytes", "Total block IO write bytes");
  MetricDesc blkio_read_requests =
      device_desc("ceems_compute_unit_blkio_read_total_requests", "Total block IO read requests");
  MetricDesc blkio_write_requests =
      device_desc("ceems_compute_unit_blkio_write_total_requests", "Total block IO write requests");
  // ceems_compute_unit_blkio_psi_seconds ("Total block IO PSI in seconds") is
  // declared by the original but never emitted, so it is not created here.
  MetricDesc rdma_handles =
      device_desc("ceems_compute_unit_rdma_hca_handles", "Current number of RDMA HCA handles");
  MetricDesc rdma_objects =
      device_desc("ceems_compute_unit_rdma_hca_objects", "Current number of RDMA HCA objects");
  MetricDesc collect_error =
      unit_desc("ceems_compute_unit_collect_error", "Indicates collection error, 0=no error, 1=error");
};
const Descs& descs() {
  static const Descs d;
  return d;
}

}  // namespace

Stats::Stats(const HostFs& host, Mode mode, std::string manager, std::string hostname, StatsOptions opts,
             log::Logger logger)
    : host_(host),
      mode_(mode),
      manager_(std::move(manager)),
      hostname_(std::move(hostname)),
      opts_(std::move(opts)),
      logger_(std::move(logger)) {
  const Filesystem& fs = host_.fs();
  if (auto text = fs.read_file(host_.proc("meminfo")); !text) {
    logger_.error("Failed to get meminfo", {{"err", text.error()}});
  } else if (auto mem = parse_host_memory(*text); !mem) {
    logger_.error("Failed to parse meminfo", {{"err", mem.error()}});
  } else {
    mem_total_ = mem->mem_total;
    swap_total_ = mem->swap_total;
  }
  bool diskstats_ok = false;
  if (auto text = fs.read_file(host_.proc("diskstats")); !text) {
    logger_.error("Failed to get block devices", {{"err", text.error()}});
  } else if (auto devs = parse_diskstats(*text); !devs) {
    logger_.error("Failed to parse block devices", {{"err", devs.error()}});
  } else {
    block_devices_ = std::move(*devs);
    diskstats_ok = true;
  }
  // The original's v1 blkio reader opens the host's /proc/partitions (a fixed path)
  // and gives up without it; it only uses it for device names, which come from
  // diskstats here. This port looks at <procfs>/partitions instead, through HostFs,
  // and accepts the <procfs>/diskstats read above as the same block device list
  // (fixture trees carry only diskstats).
  block_device_list_ = diskstats_ok || fs.exists(host_.proc("partitions"));
}

Stats::Bases Stats::open_bases() const {
  const Filesystem& fs = host_.fs();
  Bases b;
  if (is_v2(mode_)) {
    b.v2 = fs.open_dir(host_.cgroupfs_root());
  } else {
    b.v1.resize(kV1Count);
    for (int c = 0; c < kV1Count; ++c) {
      if (v1_present_[c] || c == kCpuset) b.v1[c] = fs.open_dir(host_.cgroup(kV1Controllers[c]));
    }
  }
  return b;
}

Stats::UnitEntry Stats::unit_entry(const ComputeUnit& unit) const {
  std::lock_guard<std::mutex> lock(units_mu_);
  auto it = units_.find(unit.path.rel);
  if (it == units_.end() || it->second.inode != unit.inode) return UnitEntry{.inode = unit.inode};
  it->second.scrape = scrape_;
  return it->second;
}

void Stats::keep_unit_entry(const ComputeUnit& unit, const UnitEntry& e) const {
  std::lock_guard<std::mutex> lock(units_mu_);
  UnitEntry& kept = units_[unit.path.rel];
  kept = e;
  kept.scrape = scrape_;
}

uint64_t Stats::read_cpus(const ComputeUnit& unit, const Bases& bases) const {
  // v1: always the cpuset hierarchy, whichever subsystem the units were found in.
  const DirHandle& base = is_v2(mode_) ? bases.v2 : bases.v1[kCpuset];
  std::string& buf = stats_detail::scratch();
  if (!host_.fs().read_at(base, unit.path.rel + (is_v2(mode_) ? "/cpuset.cpus.effective" : "/cpuset.cpus"),
                          buf)) {
    return 0;
  }
  auto n = count_cpus(buf);
  return n ? *n : 0;
}

UnitStats Stats::read(const ComputeUnit& unit) const { return read(unit, open_bases()); }

UnitStats Stats::read(const ComputeUnit& unit, const Bases& bases) const {
  UnitStats s;
  UnitEntry e = unit_entry(unit);
  const UnitEntry before = e;
  if (is_v2(mode_)) {
    read_v2(unit, bases, e, s);
  } else {
    read_v1(unit, bases, s);
  }
  if (s.error) {
    // The original gets no statistics at all when the controllers report an error.
    s = UnitStats{.error = true,
                  .error_detail = std::move(s.error_detail),
                  .saw_missing = s.saw_missing,
                  .saw_file = s.saw_file};
  }
  if (e.cpus == 0) e.cpus = read_cpus(unit, bases);
  s.cpus = e.cpus;
  // Did the unit end while we read it? Then it is not reported at all. Only
  // asked when a file was missing or failed: a unit whose files were all there
  // existed while it was read.
  if (s.error || s.saw_missing || !s.saw_file) s.vanished = vanished(unit);
  if (!s.vanished && (e.cpus != before.cpus || e.controllers_known != before.controllers_known ||
                      e.rdma_checked != before.rdma_checked)) {
    keep_unit_entry(unit, e);
  }
  return s;
}

bool Stats::vanished(const ComputeUnit& unit) const {
  const Filesystem& fs = host_.fs();
  if (is_v2(mode_)) return !fs.lexists(host_.cgroup(unit.path.rel));
  if (fs.lexists(HostFs::join(host_.cgroup(opts_.active_subsystem), unit.path.rel))) return false;
  for (const char* c : kV1Controllers) {
    if (fs.lexists(HostFs::join(host_.cgroup(c), unit.path.rel))) return false;
  }
  return true;
}

void Stats::check_v1_hierarchies() {
  const Filesystem& fs = host_.fs();
  for (int c = 0; c < kV1Count; ++c) v1_present_[c] = fs.lexists(host_.cgroup(kV1Controllers[c]));
}

void Stats::collect(std::span<const ComputeUnit> units, MetricBatch& out) {
  if (!is_v2(mode_)) check_v1_hierarchies();
  ++scrape_;
  const Bases bases = open_bases();
  std::vector<UnitStats> results(units.size());
  unsigned threads = opts_.threads;
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1U, 8U);
  // Blocks of units rather than one at a time: the shared counter and the results'
  // cache lines then rarely move between cores.
  parallel_for(
      units.size(), [&](size_t i) { results[i] = read(units[i], bases); }, ParallelOptions{threads, 32});

  size_t kept = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    const UnitStats& s = results[i];
    if (s.vanished) {
      logger_.debug("Compute unit ended during the scrape, not reported", {{"uuid", units[i].uuid}});
      continue;
    }
    ++kept;
    if (s.error) {
      logger_.error("Failed to collect cgroup stats",
                    {{"uuid", units[i].uuid}, {"path", "/" + units[i].path.rel}, {"err", s.error_detail}});
    }
  }

  // Keep what is known of the units of this scrape only (unit_entry and
  // keep_unit_entry marked them).
  {
    std::lock_guard<std::mutex> lock(units_mu_);
    std::erase_if(units_, [&](const auto& kv) { return kv.second.scrape != scrape_; });
  }

  out.add(desc_units(), {manager_, hostname_}, static_cast<double>(kept));
  if (kept == 0) return;

  const Descs& d = descs();
  auto fam = [&](const MetricDesc& desc) -> MetricFamily& {
    MetricFamily& f = out.family(desc);
    f.reserve(f.size() + kept);
    return f;
  };
  MetricFamily& cpu_user = fam(d.cpu_user);
  MetricFamily& cpu_system = fam(d.cpu_system);
  MetricFamily& cpus = fam(d.cpus);
  MetricFamily& rss = fam(d.memory_rss);
  MetricFamily& cache = fam(d.memory_cache);
  MetricFamily& used = fam(d.memory_used);
  MetricFamily& total = fam(d.memory_total);
  MetricFamily& fail = fam(d.memory_fail_count);
  MetricFamily* sw_used = opts_.swap ? &fam(d.memsw_used) : nullptr;
  MetricFamily* sw_total = opts_.swap ? &fam(d.memsw_total) : nullptr;
  MetricFamily* sw_fail = opts_.swap ? &fam(d.memsw_fail_count) : nullptr;
  MetricFamily* cpu_psi = opts_.psi ? &fam(d.cpu_psi) : nullptr;
  MetricFamily* mem_psi = opts_.psi ? &fam(d.memory_psi) : nullptr;
  MetricFamily* errors = nullptr;
  MetricFamily *blk_rb = nullptr, *blk_wb = nullptr, *blk_rr = nullptr, *blk_wr = nullptr;
  MetricFamily *rdma_h = nullptr, *rdma_o = nullptr;
  auto lazy = [&](MetricFamily*& f, const MetricDesc& desc) -> MetricFamily& {
    if (f == nullptr) f = &out.family(desc);
    return *f;
  };

  for (size_t i = 0; i < units.size(); ++i) {
    const UnitStats& s = results[i];
    if (s.vanished) continue;
    const std::string_view l[] = {manager_, hostname_, units[i].uuid};
    std::span<const std::string_view> labels(l);
    cpu_user.add(labels, s.cpu_user_seconds);
    cpu_system.add(labels, s.cpu_system_seconds);
    cpus.add(labels, static_cast<double>(s.cpus));
    rss.add(labels, static_cast<double>(s.memory_rss));
    cache.add(labels, static_cast<double>(s.memory_cache));
    used.add(labels, static_cast<double>(s.memory_used));
    total.add(labels, static_cast<double>(s.memory_total));
    fail.add(labels, static_cast<double>(s.memory_fail_count));
    if (opts_.swap) {
      sw_used->add(labels, static_cast<double>(s.memsw_used));
      sw_total->add(labels, static_cast<double>(s.memsw_total));
      sw_fail->add(labels, static_cast<double>(s.memsw_fail_count));
    }
    if (opts_.psi) {
      cpu_psi->add(labels, s.cpu_psi_seconds);
      mem_psi->add(labels, s.memory_psi_seconds);
    }
    if (opts_.blkio) {
      for (const auto& [dev, io] : s.blkio) {
        const std::string_view dl[] = {manager_, hostname_, units[i].uuid, dev};
        std::span<const std::string_view> dlabels(dl);
        if (io.read_bytes > 0)
          lazy(blk_rb, d.blkio_read_bytes).add(dlabels, static_cast<double>(io.read_bytes));
        if (io.write_bytes > 0)
          lazy(blk_wb, d.blkio_write_bytes).add(dlabels, static_cast<double>(io.write_bytes));
        if (io.read_requests > 0) {
          lazy(blk_rr, d.blkio_read_requests).add(dlabels, static_cast<double>(io.read_requests));
        }
        if (io.write_requests > 0) {
          lazy(blk_wr, d.blkio_write_requests).add(dlabels, static_cast<double>(io.write_requests));
        }
      }
    }
    for (const auto& [dev, rc] : s.rdma) {
      if (rc.handles == 0) continue;
      const std::string_view dl[] = {manager_, hostname_, units[i].uuid, dev};
      std::span<const std::string_view> dlabels(dl);
      lazy(rdma_h, d.rdma_handles).add(dlabels, static_cast<double>(rc.handles));
      // [quirk] The original emits the handle counts under the objects name too.
      lazy(rdma_o, d.rdma_objects).add(dlabels, static_cast<double>(rc.handles));
    }
    if (s.error) lazy(errors, d.collect_error).add(labels, 1);
  }
}

}  // namespace ceems::cgroup
