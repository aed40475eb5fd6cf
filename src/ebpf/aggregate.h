// Per-scrape aggregation of the BPF accumulator maps into per-unit samples
// (spec 15 "User-space per-scrape algorithm" steps 2-3). Pure: the map contents
// come in as a snapshot, the cgroup id -> unit mapping as an index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/metrics.h"

namespace ceems::ebpf {

struct RwEntry {
  uint64_t cid = 0;
  std::string mount;
  uint64_t bytes = 0;
  uint64_t calls = 0;
  uint64_t errors = 0;
};

struct CallEntry {
  uint64_t cid = 0;
  uint64_t calls = 0;
  uint64_t errors = 0;
};

struct NetEntry {
  uint64_t cid = 0;
  uint16_t proto = 0;
  uint16_t fam = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct MapSnapshot {
  std::vector<RwEntry> read, write;
  std::vector<CallEntry> open, create, unlink;
  std::vector<NetEntry> ingress, egress, retrans;
};

// The mount label of a map key: the bytes up to the first NUL, all of them if none.
std::string mount_label(const unsigned char* mnt, size_t len);

// "tcp" (6), "udp" (17), else "".
std::string_view proto_label(uint16_t proto);
// "ipv4" (2), "ipv6" (10), else "".
std::string_view family_label(uint16_t fam);

// cgroup id -> unit uuid. The VFS maps and the network maps may use different
// id spaces (v1 ids for VFS, v2 ids for cgroup_skb on a hybrid host).
using IdIndex = std::unordered_map<uint64_t, std::string>;

struct RwTotals {
  uint64_t bytes = 0, calls = 0, errors = 0;
};
struct CallTotals {
  uint64_t calls = 0, errors = 0;
};
struct NetTotals {
  uint64_t packets = 0, bytes = 0;
};

struct Aggregates {
  std::map<std::pair<std::string, std::string>, RwTotals> read, write;  // (uuid, mount)
  std::map<std::string, CallTotals> open, create, unlink;               // uuid
  // (uuid, proto label, family label)
  std::map<std::tuple<std::string, std::string, std::string>, NetTotals> ingress, egress, retrans;
};

// Entries whose cid is not in the index are ignored; read/write entries whose
// mount contains none of mount_filters (when non-empty) too.
Aggregates aggregate(const MapSnapshot& snap, const IdIndex& io_ids, const IdIndex& net_ids,
                     const std::vector<std::string>& mount_filters);

struct EmitOptions {
  std::string manager;
  std::string hostname;
  bool io = false;
  bool net = false;
};

// Every aggregated sample, zero values included, with the names, HELP texts and
// labels of spec 15.
void emit(const Aggregates& agg, const EmitOptions& opts, MetricBatch& out);

}  // namespace ceems::ebpf
