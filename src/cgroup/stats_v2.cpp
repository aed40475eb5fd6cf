// The cgroup v2 accounting reader (spec 10 §4): one directory per unit; swap,
// PSI and block-IO files only when those metric groups are on.
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cgroup/parsers.h"
#include "cgroup/stats.h"
#include "cgroup/stats_files.h"
#include "core/strings.h"

namespace ceems::cgroup {
namespace {

using namespace stats_detail;  // the readers' own helpers

}  // namespace

void Stats::read_v2(const ComputeUnit& unit, const Bases& bases, UnitEntry& e, UnitStats& s) const {
  const Filesystem& fs = host_.fs();
  std::string& buf = scratch();
  // Every file is opened relative to the unit's directory: its path is resolved once.
  const DirHandle dir = fs.open_dir_at(bases.v2, unit.path.rel);

  // The controllers are read once in a unit's life (Stats::UnitEntry).
  if (!e.controllers_known) {
    if (Status st = fs.read_at(dir, "cgroup.controllers", buf); !st) {
      s.error = true;
      s.error_detail = st.error().message();
      s.saw_missing = st.error().kind() == ErrorKind::kNotFound;
      return;
    }
    s.saw_file = true;
    for (std::string_view c : fields(buf)) {
      e.has_cpu = e.has_cpu || c == "cpu";
      e.has_memory = e.has_memory || c == "memory";
    }
    e.controllers_known = true;
  }
  const bool has_cpu = e.has_cpu, has_memory = e.has_memory;

  // Flat keyed files: a missing file is fine, a malformed line fails the unit.
  auto keyed = [&](const char* name, std::initializer_list<std::string_view> keys, auto&& use) {
    FileRead r = read_file(fs, dir, name, buf, s);
    if (r == FileRead::kError) s.error = true;
    if (r != FileRead::kOk) return;
    std::optional<uint64_t> values[2];
    const std::span<const std::string_view> wanted(keys.begin(), keys.size());
    if (Status st = scan_flat_keyed(buf, false, wanted, std::span(values, wanted.size())); !st) {
      return set_error(s, dir.file(name), st.error());
    }
    use(values[0].value_or(0), values[1].value_or(0));
  };
  if (has_cpu) {
    keyed("cpu.stat", {"user_usec", "system_usec"}, [&](uint64_t user, uint64_t system) {
      s.cpu_user_seconds = static_cast<double>(user) / 1e6;
      s.cpu_system_seconds = static_cast<double>(system) / 1e6;
    });
  }
  if (has_memory) {
    keyed("memory.stat", {"anon", "file"}, [&](uint64_t anon, uint64_t file) {
      s.memory_rss = anon;
      s.memory_cache = file;
    });
  }
  // memory.events, memory.current, memory.max and rdma.current are read whatever
  // cgroup.controllers says, as the original does: output stays the same on
  // trees whose controller lists disagree with their files.
  keyed("memory.events", {"oom"}, [&](uint64_t oom, uint64_t) { s.memory_fail_count = oom; });
  if (s.error) return;

  // Single values: missing or unparsable → 0; "max" → 2^64-1. A missing file
  // here is normal (no swap accounting, no rdma controller) and is not taken
  // as a sign that the unit vanished.
  auto value = [&](const char* name) -> uint64_t {
    if (!fs.read_at(dir, name, buf)) return 0;
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
      if (!fs.read_at(dir, name, buf)) return 0;
      auto total = parse_psi_full_total(buf);
      return total ? static_cast<double>(*total) / 1e6 : 0;
    };
    s.cpu_psi_seconds = psi("cpu.pressure");
    s.memory_psi_seconds = psi("memory.pressure");
  }
  if (opts_.blkio && fs.read_at(dir, "io.stat", buf).ok()) {
    for (const auto& io_entry : parse_io_stat(buf)) {
      auto it = block_devices_.find(device_key(io_entry.major, io_entry.minor));
      DeviceIo& io = s.blkio[it == block_devices_.end() ? std::string() : it->second];
      io = DeviceIo{io_entry.rbytes, io_entry.wbytes, io_entry.rios, io_entry.wios};
    }
  }
  // Whether rdma.current exists is known after the first look, like the controllers.
  if (!e.rdma_checked || e.has_rdma_file) {
    Status st = fs.read_at(dir, "rdma.current", buf);
    if (!e.rdma_checked) {
      e.rdma_checked = st.ok() || st.error().kind() == ErrorKind::kNotFound;
      e.has_rdma_file = st.ok();
    }
    if (st) {
      for (const auto& r : parse_rdma(buf)) s.rdma[std::string(r.device)] = {r.handles, r.objects};
    }
  }
}

}  // namespace ceems::cgroup
