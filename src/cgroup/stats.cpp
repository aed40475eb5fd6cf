#include "cgroup/stats.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>
#include <unordered_set>

#include "cgroup/parsers.h"
#include "core/strings.h"

namespace ceems::cgroup {
namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

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

enum class Rd { kOk, kMissing, kError };

// Per-thread read buffer: a scrape reads tens of thousands of small files.
thread_local std::string tl_buf;

Rd read_file(const Filesystem& fs, const std::string& path, std::string& buf, std::string& err_detail) {
  Status st = fs.read_into(path, buf);
  if (st) return Rd::kOk;
  if (st.error().kind() == ErrorKind::kNotFound) return Rd::kMissing;
  if (err_detail.empty()) err_detail = st.error().message();
  return Rd::kError;
}

void set_error(UnitStats& s, const std::string& path, const Error& e) {
  s.error = true;
  if (s.error_detail.empty()) s.error_detail = path + ": " + e.message();
}

std::string device_key(uint64_t major, uint64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
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
  } else if (auto mem = parse_meminfo(*text); !mem) {
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

uint64_t Stats::read_cpus(const ComputeUnit& unit) const {
  const std::string& rel = unit.path.rel;
  {
    std::lock_guard<std::mutex> lock(cpus_mu_);
    if (auto it = cpus_cache_.find(rel); it != cpus_cache_.end()) return it->second;
  }
  // v1: always the cpuset hierarchy, whichever subsystem the units were found in.
  std::string path = is_v2(mode_) ? HostFs::join(host_.cgroup(rel), "cpuset.cpus.effective")
                                  : HostFs::join(HostFs::join(host_.cgroup("cpuset"), rel), "cpuset.cpus");
  std::string& buf = tl_buf;
  if (!host_.fs().read_into(path, buf)) return 0;
  auto n = count_cpus(buf);
  if (!n || *n == 0) return 0;
  std::lock_guard<std::mutex> lock(cpus_mu_);
  cpus_cache_[rel] = *n;
  return *n;
}

void Stats::read_v1(const ComputeUnit& unit, UnitStats& s) const {
  const Filesystem& fs = host_.fs();
  std::string& buf = tl_buf;
  const std::string& rel = unit.path.rel;
  static const char* const kControllers[] = {"cpuacct", "memory", "rdma", "pids", "blkio", "cpuset"};
  enum { kCpuacct, kMemory, kRdma, kPids, kBlkio, kCpuset, kCount };
  std::string dirs[kCount];
  bool present[kCount] = {};
  bool any = false;
  for (int c = 0; c < kCount; ++c) {
    dirs[c] = HostFs::join(host_.cgroup(kControllers[c]), rel);
    present[c] = fs.lexists(dirs[c]);
    any = any || present[c];
  }

  if (!any) {
    s.error = true;
    s.error_detail = "no cgroup controller has " + rel;
  }
  std::string& err = s.error_detail;
  auto fail = [&](const std::string& path, const Error& e) { set_error(s, path, e); };

  if (present[kCpuacct]) {
    const std::string& d = dirs[kCpuacct];
    std::string p = d + "/cpuacct.stat";
    Rd r = read_file(fs, p, buf, err);
    if (r == Rd::kError) s.error = true;
    if (r == Rd::kOk) {
      auto ticks = parse_cpuacct_stat(buf);
      if (!ticks) {
        fail(p, ticks.error());
      } else {
        p = d + "/cpuacct.usage";
        r = read_file(fs, p, buf, err);
        if (r == Rd::kError) s.error = true;
        if (r == Rd::kOk) {
          if (auto total = parse_v1_value(buf); !total) {
            fail(p, total.error());
          } else {
            p = d + "/cpuacct.usage_percpu";
            r = read_file(fs, p, buf, err);
            if (r == Rd::kError) s.error = true;
            if (r == Rd::kOk) {
              if (auto percpu = parse_percpu(buf); !percpu) {
                fail(p, percpu.error());
              } else {
                // USER_HZ is 100: ticks → ns in integers as the original does, then seconds.
                const uint64_t user_ns = ticks->user * 1000000000ULL / 100;
                const uint64_t system_ns = ticks->system * 1000000000ULL / 100;
                s.cpu_user_seconds = static_cast<double>(user_ns) / 1e9;
                s.cpu_system_seconds = static_cast<double>(system_ns) / 1e9;
              }
            }
          }
        }
      }
    }
  }

  if (present[kMemory]) {
    const std::string& d = dirs[kMemory];
    [&] {
      std::string p = d + "/memory.stat";
      Rd r = read_file(fs, p, buf, err);
      if (r != Rd::kOk) {
        if (r == Rd::kError) s.error = true;
        return;
      }
      auto kvs = parse_flat_keyed(buf, true);
      if (!kvs) return fail(p, kvs.error());
      s.memory_rss = find_key(*kvs, "total_rss").value_or(0);
      s.memory_cache = find_key(*kvs, "total_cache").value_or(0);

      p = d + "/memory.oom_control";
      r = read_file(fs, p, buf, err);
      if (r != Rd::kOk) {
        if (r == Rd::kError) s.error = true;
        return;
      }
      if (auto oom = parse_flat_keyed(buf, true); !oom) return fail(p, oom.error());

      static const char* const kModules[] = {"memory.", "memory.memsw.", "memory.kmem.", "memory.kmem.tcp."};
      static const char* const kFiles[] = {"usage_in_bytes", "max_usage_in_bytes", "failcnt",
                                           "limit_in_bytes"};
      for (int m = 0; m < 4; ++m) {
        for (int f = 0; f < 4; ++f) {
          p = d + "/" + kModules[m] + kFiles[f];
          r = read_file(fs, p, buf, err);
          if (r != Rd::kOk) {  // the first missing file stops reading silently
            if (r == Rd::kError) s.error = true;
            return;
          }
          auto v = parse_v1_value(buf);
          if (!v) return fail(p, v.error());
          uint64_t* slot = nullptr;
          if (m == 0) {
            slot = f == 0   ? &s.memory_used
                   : f == 2 ? &s.memory_fail_count
                   : f == 3 ? &s.memory_total
                            : nullptr;
          } else if (m == 1) {
            slot = f == 0 ? &s.memsw_used : f == 2 ? &s.memsw_fail_count : f == 3 ? &s.memsw_total : nullptr;
          }
          if (slot != nullptr) *slot = *v;
        }
      }
    }();
  }

  if (present[kRdma]) {
    const std::string& d = dirs[kRdma];
    std::string current;
    Rd r = read_file(fs, d + "/rdma.current", current, err);
    if (r == Rd::kError) s.error = true;
    if (r == Rd::kOk) {
      r = read_file(fs, d + "/rdma.max", buf, err);
      if (r == Rd::kError) s.error = true;
      // Devices removed between the two reads: the original drops the data.
      if (r == Rd::kOk && rdma_line_count(current) == rdma_line_count(buf)) {
        for (const auto& e : parse_rdma(current)) s.rdma[std::string(e.device)] = {e.handles, e.objects};
      }
    }
  }

  if (present[kPids]) {
    // Read (errors count) but not exported.
    const std::string& d = dirs[kPids];
    std::string p = d + "/pids.current";
    Rd r = read_file(fs, p, buf, err);
    if (r == Rd::kError) s.error = true;
    if (r == Rd::kOk) {
      if (auto v = parse_v1_value(buf); !v) {
        fail(p, v.error());
      } else {
        p = d + "/pids.max";
        r = read_file(fs, p, buf, err);
        if (r == Rd::kError) s.error = true;
        if (r == Rd::kOk) {
          std::string_view t = trim(buf);
          if (t != "max") {
            if (auto m = parse_cgroup_uint(t); !m) fail(p, m.error());
          }
        }
      }
    }
  }

  // Only read when exported (the slurm manager never exports blkio).
  if (present[kBlkio] && opts_.blkio && block_device_list_) {
    const std::string& d = dirs[kBlkio];
    std::vector<BlkioEntry> bytes, ios;
    std::string bytes_text, ios_text, other_text;  // entries point into these
    // Reads one blkio file, appending its entries to into (when given). Returns the
    // number of entries, or -1 when reading stops (missing file or error).
    auto read_entries = [&](const char* name, std::string& text, std::vector<BlkioEntry>* into) -> long {
      std::string p = d + "/blkio." + name;
      Rd r = read_file(fs, p, text, err);
      if (r != Rd::kOk) {
        if (r == Rd::kError) s.error = true;
        return -1;
      }
      auto entries = parse_blkio(text);
      if (!entries) {
        fail(p, entries.error());
        return -1;
      }
      if (into != nullptr) into->insert(into->end(), entries->begin(), entries->end());
      return static_cast<long>(entries->size());
    };
    [&] {
      if (fs.lexists(d + "/blkio.io_serviced_recursive")) {
        // CFQ statistics, read in the original's order; a missing file stops
        // reading (what was read is kept).
        static const char* const kRecursive[] = {"sectors_recursive",         "io_service_bytes_recursive",
                                                 "io_serviced_recursive",     "io_queued_recursive",
                                                 "io_service_time_recursive", "io_wait_time_recursive",
                                                 "io_merged_recursive",       "time_recursive"};
        long size = 0;
        for (int k = 0; k < 8; ++k) {
          std::string& text = k == 1 ? bytes_text : k == 2 ? ios_text : other_text;
          std::vector<BlkioEntry>* into = k == 1 ? &bytes : k == 2 ? &ios : nullptr;
          long n = read_entries(kRecursive[k], text, into);
          if (n < 0) return;
          size += n;
        }
        if (size > 0) return;
      }
      // No CFQ entries: the throttle files.
      if (read_entries("throttle.io_serviced", ios_text, &ios) < 0) return;
      (void)read_entries("throttle.io_service_bytes", bytes_text, &bytes);
    }();
    if (!s.error) {
      std::map<std::string, uint64_t> read_bytes, write_bytes, read_ios, write_ios;
      auto name_of = [&](const BlkioEntry& e) {
        auto it = block_devices_.find(device_key(e.major, e.minor));
        return it == block_devices_.end() ? std::string() : it->second;
      };
      for (const auto& e : bytes) {
        if (e.op == "Read") read_bytes[name_of(e)] = e.value;
        if (e.op == "Write") write_bytes[name_of(e)] = e.value;
      }
      for (const auto& e : ios) {
        if (e.op == "Read") read_ios[name_of(e)] = e.value;
        if (e.op == "Write") write_ios[name_of(e)] = e.value;
      }
      // Emission iterates the devices of the read-bytes map only.
      for (const auto& [dev, v] : read_bytes) {
        DeviceIo io;
        io.read_bytes = v;
        io.write_bytes = write_bytes[dev];
        io.read_requests = read_ios[dev];
        io.write_requests = write_ios[dev];
        s.blkio[dev] = io;
      }
    }
  }

  if (s.error) return;
  if (s.memory_total == kMaxU64 && mem_total_ > 0) s.memory_total = mem_total_;
  if (s.memsw_total == kMaxU64) {
    if (swap_total_ > 0) {
      s.memsw_total = swap_total_;
    } else if (mem_total_ > 0) {
      s.memsw_total = mem_total_;
    }
  }
}

void Stats::read_v2(const ComputeUnit& unit, UnitStats& s) const {
  const Filesystem& fs = host_.fs();
  std::string& buf = tl_buf;
  const std::string d = host_.cgroup(unit.path.rel);
  std::string& err = s.error_detail;

  std::string p = d + "/cgroup.controllers";
  if (Status st = fs.read_into(p, buf); !st) {
    s.error = true;
    s.error_detail = st.error().message();
    return;
  }
  bool has_cpu = false, has_memory = false;
  for (std::string_view c : fields(buf)) {
    has_cpu = has_cpu || c == "cpu";
    has_memory = has_memory || c == "memory";
  }

  // Flat keyed files: a missing file is fine, a malformed line fails the unit.
  auto keyed = [&](const char* name, auto&& use) {
    std::string path = d + "/" + name;
    Rd r = read_file(fs, path, buf, err);
    if (r == Rd::kError) s.error = true;
    if (r != Rd::kOk) return;
    auto kvs = parse_flat_keyed(buf, false);
    if (!kvs) return set_error(s, path, kvs.error());
    use(*kvs);
  };
  if (has_cpu) {
    keyed("cpu.stat", [&](const std::vector<KeyValue>& kvs) {
      s.cpu_user_seconds = static_cast<double>(find_key(kvs, "user_usec").value_or(0)) / 1e6;
      s.cpu_system_seconds = static_cast<double>(find_key(kvs, "system_usec").value_or(0)) / 1e6;
    });
  }
  if (has_memory) {
    keyed("memory.stat", [&](const std::vector<KeyValue>& kvs) {
      s.memory_rss = find_key(kvs, "anon").value_or(0);
      s.memory_cache = find_key(kvs, "file").value_or(0);
    });
  }
  keyed("memory.events",
        [&](const std::vector<KeyValue>& kvs) { s.memory_fail_count = find_key(kvs, "oom").value_or(0); });
  if (s.error) {
    s = UnitStats{.error = true, .error_detail = std::move(s.error_detail)};
    return;
  }

  // Single values: missing or unparsable → 0; "max" → 2^64-1.
  auto value = [&](const char* name) -> uint64_t {
    if (!fs.read_into(d + "/" + name, buf)) return 0;
    auto v = parse_v2_value(buf);
    return v ? *v : 0;
  };
  s.memory_used = value("memory.current");
  s.memory_total = value("memory.max");
  if (s.memory_total == kMaxU64 && mem_total_ > 0) s.memory_total = mem_total_;
  if (opts_.swap) {
    s.memsw_used = value("memory.swap.current");
    s.memsw_total = value("memory.swap.max");
    if (s.memsw_total == kMaxU64) {
      if (swap_total_ > 0) {
        s.memsw_total = swap_total_;
      } else if (mem_total_ > 0) {
        s.memsw_total = mem_total_;
      }
    }
  }
  if (opts_.psi) {
    auto psi = [&](const char* name) -> double {
      if (!fs.read_into(d + "/" + name, buf)) return 0;
      auto total = parse_psi_full_total(buf);
      return total ? static_cast<double>(*total) / 1e6 : 0;
    };
    s.cpu_psi_seconds = psi("cpu.pressure");
    s.memory_psi_seconds = psi("memory.pressure");
  }
  if (opts_.blkio && fs.read_into(d + "/io.stat", buf).ok()) {
    for (const auto& e : parse_io_stat(buf)) {
      auto it = block_devices_.find(device_key(e.major, e.minor));
      DeviceIo& io = s.blkio[it == block_devices_.end() ? std::string() : it->second];
      io = DeviceIo{e.rbytes, e.wbytes, e.rios, e.wios};
    }
  }
  if (fs.read_into(d + "/rdma.current", buf).ok()) {
    for (const auto& e : parse_rdma(buf)) s.rdma[std::string(e.device)] = {e.handles, e.objects};
  }
}

UnitStats Stats::read(const ComputeUnit& unit) const {
  UnitStats s;
  if (is_v2(mode_)) {
    read_v2(unit, s);
  } else {
    read_v1(unit, s);
  }
  if (s.error) {
    // The original gets no statistics at all when the controllers report an error.
    s = UnitStats{.error = true, .error_detail = std::move(s.error_detail)};
  }
  s.cpus = read_cpus(unit);

  // Did the unit end while we read it? Then it is not reported at all.
  const Filesystem& fs = host_.fs();
  if (is_v2(mode_)) {
    s.vanished = !fs.lexists(host_.cgroup(unit.path.rel));
  } else {
    bool exists = fs.lexists(HostFs::join(host_.cgroup(opts_.active_subsystem), unit.path.rel));
    for (const char* c : {"cpuacct", "memory", "rdma", "pids", "blkio", "cpuset"}) {
      if (exists) break;
      exists = fs.lexists(HostFs::join(host_.cgroup(c), unit.path.rel));
    }
    s.vanished = !exists;
  }
  return s;
}

void Stats::collect(std::span<const ComputeUnit> units, MetricBatch& out) {
  std::vector<UnitStats> results(units.size());
  unsigned threads = opts_.threads;
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1U, 8U);
  threads = static_cast<unsigned>(std::min<size_t>(threads, units.size()));
  if (threads <= 1) {
    for (size_t i = 0; i < units.size(); ++i) results[i] = read(units[i]);
  } else {
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next.fetch_add(1); i < units.size(); i = next.fetch_add(1)) results[i] = read(units[i]);
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
  }

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

  // A job's cpuset does not change: keep counts of the units still present only.
  {
    std::unordered_set<std::string_view> seen;
    seen.reserve(units.size());
    for (size_t i = 0; i < units.size(); ++i) {
      if (!results[i].vanished) seen.insert(units[i].path.rel);
    }
    std::lock_guard<std::mutex> lock(cpus_mu_);
    std::erase_if(cpus_cache_, [&](const auto& kv) { return seen.count(kv.first) == 0; });
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
