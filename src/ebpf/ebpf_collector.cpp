#include "ebpf/ebpf_collector.h"

#include <utility>

namespace ceems::ebpf {

namespace {
const std::vector<std::string> kMapCaps = {"cap_bpf", "cap_perfmon"};
}  // namespace

EbpfCollector::EbpfCollector(const HostFs& host, Privileges& privileges, CollectorConfig cfg,
                             std::unique_ptr<MapSource> maps, log::Logger logger)
    : host_(host),
      privileges_(privileges),
      cfg_(std::move(cfg)),
      maps_(std::move(maps)),
      logger_(std::move(logger)) {}

EbpfCollector::~EbpfCollector() { EbpfCollector::stop(); }

void EbpfCollector::stop() {
  if (maps_) maps_->close();
}

std::vector<std::string> EbpfCollector::capabilities() const {
  return cfg_.map_reads_need_caps ? kMapCaps : std::vector<std::string>{};
}

// The real (escaped) directory of every cgroup of the unit is stat'ed on each
// scrape: its inode is the cgroup id the programs record. No cache, so that a
// cgroup re-created under the same path is never attributed by a stale inode.
void EbpfCollector::index_units(std::span<const ComputeUnit> units, const std::string& base, IdIndex& ids,
                                PathsById& paths) const {
  for (const auto& unit : units) {
    const auto add = [&](const CgroupPath& p) {
      const std::string dir = HostFs::join(base, p.rel);
      auto info = host_.fs().stat(dir);
      if (!info || info->inode == 0) return;
      ids.emplace(info->inode, unit.uuid);
      paths.emplace(info->inode, dir);
    };
    if (unit.children.empty()) {
      add(unit.path);
    } else {
      for (const auto& child : unit.children) add(child);
    }
  }
}

std::vector<uint64_t> EbpfCollector::dead_ids(const PathsById& last, const IdIndex& now,
                                              PathsById& keep) const {
  std::vector<uint64_t> dead;
  for (const auto& [id, path] : last) {
    if (now.count(id) != 0) continue;
    auto info = host_.fs().stat(path);
    if (info && info->inode == id) {
      keep.emplace(id, path);  // still there, only not a unit now: check again later
    } else {
      dead.push_back(id);
    }
  }
  return dead;
}

Status EbpfCollector::update(std::span<const ComputeUnit> units, MetricBatch& out) {
  IdIndex io_ids;
  IdIndex net_ids;
  PathsById io_paths;
  PathsById net_paths;
  if (cfg_.io) index_units(units, cfg_.io_base, io_ids, io_paths);
  if (cfg_.net && !cfg_.net_base.empty()) index_units(units, cfg_.net_base, net_ids, net_paths);

  // Cgroup ids are never reused (64-bit kernfs ids), so entries of removed
  // cgroups can never be misattributed; deleting them keeps the LRU maps for
  // live cgroups instead of waiting for eviction.
  const auto forget_io = dead_ids(last_io_, io_ids, io_paths);
  const auto forget_net = dead_ids(last_net_, net_ids, net_paths);

  Result<MapSnapshot> snap = Error(ErrorKind::kIo, "eBPF maps not read");
  const auto read = [&]() -> Status {
    snap = maps_->read(forget_io, forget_net);
    return snap.ok() ? Status{} : Status(snap.error());
  };
  Status st = cfg_.map_reads_need_caps ? privileges_.run_with("ebpf", kMapCaps, read) : read();
  if (!st.ok()) return st.error().wrap("couldn't read eBPF maps");
  last_io_ = std::move(io_paths);
  last_net_ = std::move(net_paths);

  const Aggregates agg = aggregate(*snap, io_ids, net_ids, cfg_.mount_filters);
  emit(agg, {cfg_.manager, cfg_.hostname, cfg_.io, cfg_.net}, out);
  return {};
}

}  // namespace ceems::ebpf
