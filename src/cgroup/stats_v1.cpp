// The cgroup v1 accounting reader (spec 10 §4): one hierarchy per controller.
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "cgroup/parsers.h"
#include "cgroup/stats.h"
#include "cgroup/stats_files.h"
#include "core/strings.h"

namespace ceems::cgroup {
namespace {

using namespace stats_detail;  // the readers' own helpers

// The memory controller's single-value files, in the order the original reads
// them (the first missing one stops reading), and where each value goes. The
// others are read because a garbage value in any of them marks the unit errored.
struct V1MemoryFile {
  const char* name;
  uint64_t UnitStats::*slot;
};
constexpr V1MemoryFile kV1MemoryFiles[] = {
    {"memory.usage_in_bytes", &UnitStats::memory_used},
    {"memory.max_usage_in_bytes", nullptr},
    {"memory.failcnt", &UnitStats::memory_fail_count},
    {"memory.limit_in_bytes", &UnitStats::memory_total},
    {"memory.memsw.usage_in_bytes", &UnitStats::memsw_used},
    {"memory.memsw.max_usage_in_bytes", nullptr},
    {"memory.memsw.failcnt", &UnitStats::memsw_fail_count},
    {"memory.memsw.limit_in_bytes", &UnitStats::memsw_total},
    {"memory.kmem.usage_in_bytes", nullptr},
    {"memory.kmem.max_usage_in_bytes", nullptr},
    {"memory.kmem.failcnt", nullptr},
    {"memory.kmem.limit_in_bytes", nullptr},
    {"memory.kmem.tcp.usage_in_bytes", nullptr},
    {"memory.kmem.tcp.max_usage_in_bytes", nullptr},
    {"memory.kmem.tcp.failcnt", nullptr},
    {"memory.kmem.tcp.limit_in_bytes", nullptr},
};

}  // namespace

void Stats::read_v1(const ComputeUnit& unit, const Bases& bases, UnitStats& s) const {
  const Filesystem& fs = host_.fs();
  std::string& buf = scratch();
  const std::string& rel = unit.path.rel;
  // Whether a controller's hierarchy exists is checked once per scrape
  // (v1_present_); within one, a unit's absent directory reads as missing files,
  // which is what an absent controller means for it.
  const bool* present = v1_present_;
  // The files of one controller's directory are opened relative to it.
  auto open = [&](int c) { return fs.open_dir_at(bases.v1[c], rel); };
  auto fail = [&](const DirHandle& d, const char* name, const Error& e) { set_error(s, d.file(name), e); };

  if (present[kCpuacct]) {
    const DirHandle d = open(kCpuacct);
    FileRead r = read_file(fs, d, "cpuacct.stat", buf, s);
    if (r == FileRead::kError) s.error = true;
    if (r == FileRead::kOk) {
      auto ticks = parse_cpuacct_stat(buf);
      if (!ticks) {
        fail(d, "cpuacct.stat", ticks.error());
      } else {
        r = read_file(fs, d, "cpuacct.usage", buf, s);
        if (r == FileRead::kError) s.error = true;
        if (r == FileRead::kOk) {
          if (auto total = parse_v1_value(buf); !total) {
            fail(d, "cpuacct.usage", total.error());
          } else {
            r = read_file(fs, d, "cpuacct.usage_percpu", buf, s);
            if (r == FileRead::kError) s.error = true;
            if (r == FileRead::kOk) {
              if (auto percpu = parse_percpu(buf); !percpu) {
                fail(d, "cpuacct.usage_percpu", percpu.error());
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
    const DirHandle d = open(kMemory);
    [&] {
      FileRead r = read_file(fs, d, "memory.stat", buf, s);
      if (r != FileRead::kOk) {
        if (r == FileRead::kError) s.error = true;
        return;
      }
      static constexpr std::string_view kKeys[] = {"total_rss", "total_cache"};
      std::optional<uint64_t> values[2];
      if (Status st = scan_flat_keyed(buf, true, kKeys, values); !st)
        return fail(d, "memory.stat", st.error());
      s.memory_rss = values[0].value_or(0);
      s.memory_cache = values[1].value_or(0);

      r = read_file(fs, d, "memory.oom_control", buf, s);
      if (r != FileRead::kOk) {
        if (r == FileRead::kError) s.error = true;
        return;
      }
      if (Status st = scan_flat_keyed(buf, true, {}, {}); !st)
        return fail(d, "memory.oom_control", st.error());

      for (const V1MemoryFile& f : kV1MemoryFiles) {
        r = read_file(fs, d, f.name, buf, s);
        if (r != FileRead::kOk) {  // the first missing file stops reading silently
          if (r == FileRead::kError) s.error = true;
          return;
        }
        auto v = parse_v1_value(buf);
        if (!v) return fail(d, f.name, v.error());
        if (f.slot != nullptr) s.*f.slot = *v;
      }
    }();
  }

  if (present[kRdma]) {
    const DirHandle d = open(kRdma);
    std::string current;
    FileRead r = read_file(fs, d, "rdma.current", current, s);
    if (r == FileRead::kError) s.error = true;
    if (r == FileRead::kOk) {
      r = read_file(fs, d, "rdma.max", buf, s);
      if (r == FileRead::kError) s.error = true;
      // Devices removed between the two reads: the original drops the data.
      if (r == FileRead::kOk && rdma_line_count(current) == rdma_line_count(buf)) {
        for (const auto& e : parse_rdma(current)) s.rdma[std::string(e.device)] = {e.handles, e.objects};
      }
    }
  }

  if (present[kPids]) {
    // Read (errors count) but not exported.
    const DirHandle d = open(kPids);
    FileRead r = read_file(fs, d, "pids.current", buf, s);
    if (r == FileRead::kError) s.error = true;
    if (r == FileRead::kOk) {
      if (auto v = parse_v1_value(buf); !v) {
        fail(d, "pids.current", v.error());
      } else {
        r = read_file(fs, d, "pids.max", buf, s);
        if (r == FileRead::kError) s.error = true;
        if (r == FileRead::kOk) {
          std::string_view t = trim(buf);
          if (t != "max") {
            if (auto m = parse_cgroup_uint(t); !m) fail(d, "pids.max", m.error());
          }
        }
      }
    }
  }

  // Only read when exported (the slurm manager never exports blkio).
  if (present[kBlkio] && opts_.blkio && block_device_list_) {
    const std::string d = HostFs::join(host_.cgroup(kV1Controllers[kBlkio]), rel);
    std::vector<BlkioEntry> bytes, ios;
    std::string bytes_text, ios_text, other_text;  // entries point into these
    // Reads one blkio file, appending its entries to into (when given). Returns the
    // number of entries, or -1 when reading stops (missing file or error).
    auto read_entries = [&](const char* name, std::string& text, std::vector<BlkioEntry>* into) -> long {
      std::string p = d + "/blkio." + name;
      FileRead r = read_file(fs, p, text, s);
      if (r != FileRead::kOk) {
        if (r == FileRead::kError) s.error = true;
        return -1;
      }
      auto entries = parse_blkio(text);
      if (!entries) {
        set_error(s, p, entries.error());
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

  if (!s.saw_file) {
    // Nothing was there at all: is the unit in no controller's hierarchy?
    bool any = false;
    for (const char* c : kV1Controllers) any = any || fs.lexists(HostFs::join(host_.cgroup(c), rel));
    if (!any) {
      s.error = true;
      s.error_detail = "no cgroup controller has " + rel;
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

}  // namespace ceems::cgroup
