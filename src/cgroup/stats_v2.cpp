// The cgroup v2 accounting reader (spec 10 §4): one directory per unit; swap,
// PSI and block-IO files only when those metric groups are on.
#include <limits>
#include <string_view>
#include <vector>

#include "cgroup/parsers.h"
#include "cgroup/stats.h"
#include "cgroup/stats_files.h"
#include "core/strings.h"

namespace ceems::cgroup {
namespace {

using stats_detail::device_key;
using stats_detail::Rd;
using stats_detail::read_file;
using stats_detail::scratch;
using stats_detail::set_error;

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

}  // namespace

void Stats::read_v2(const ComputeUnit& unit, UnitStats& s) const {
  const Filesystem& fs = host_.fs();
  std::string& buf = scratch();
  // Every file is opened relative to the unit's directory: its path is resolved once.
  const DirHandle dir = fs.open_dir(host_.cgroup(unit.path.rel));

  if (Status st = fs.read_at(dir, "cgroup.controllers", buf); !st) {
    s.error = true;
    s.error_detail = st.error().message();
    s.saw_missing = st.error().kind() == ErrorKind::kNotFound;
    return;
  }
  s.saw_file = true;
  bool has_cpu = false, has_memory = false;
  for (std::string_view c : fields(buf)) {
    has_cpu = has_cpu || c == "cpu";
    has_memory = has_memory || c == "memory";
  }

  // Flat keyed files: a missing file is fine, a malformed line fails the unit.
  auto keyed = [&](const char* name, auto&& use) {
    Rd r = read_file(fs, dir, name, buf, s);
    if (r == Rd::kError) s.error = true;
    if (r != Rd::kOk) return;
    auto kvs = parse_flat_keyed(buf, false);
    if (!kvs) return set_error(s, dir.file(name), kvs.error());
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
  // memory.events, memory.current, memory.max and rdma.current are read whatever
  // cgroup.controllers says, as the original does: output stays the same on
  // trees whose controller lists disagree with their files.
  keyed("memory.events",
        [&](const std::vector<KeyValue>& kvs) { s.memory_fail_count = find_key(kvs, "oom").value_or(0); });
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
    for (const auto& e : parse_io_stat(buf)) {
      auto it = block_devices_.find(device_key(e.major, e.minor));
      DeviceIo& io = s.blkio[it == block_devices_.end() ? std::string() : it->second];
      io = DeviceIo{e.rbytes, e.wbytes, e.rios, e.wios};
    }
  }
  if (fs.read_at(dir, "rdma.current", buf).ok()) {
    for (const auto& e : parse_rdma(buf)) s.rdma[std::string(e.device)] = {e.handles, e.objects};
  }
}

}  // namespace ceems::cgroup
