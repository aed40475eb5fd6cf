#include "ebpf/libbpf_maps.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <unordered_set>

#include "ebpf/bpf/ceems_maps.h"

namespace ceems::ebpf {
namespace {

// Walks a hash map. get_next_key restarts from the first key when the current
// one was evicted meanwhile; the seen set keeps such restarts from counting an
// entry twice.
template <typename K, typename V, typename Fn>
Status walk_map(int fd, std::string_view name, Fn&& fn) {
  std::unordered_set<std::string> seen;
  K key{};
  K next{};
  const K* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    std::string raw(reinterpret_cast<const char*>(&next), sizeof next);
    if (!seen.insert(std::move(raw)).second) break;
    V value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) fn(next, value);
    key = next;
    prev = &key;
  }
  if (errno != ENOENT && errno != 0) {
    return Error(errno == EPERM ? ErrorKind::kPermissionDenied : ErrorKind::kIo,
                 "unable to read BPF map " + std::string(name) + ": " + errno_text(errno));
  }
  return {};
}

template <typename K>
void delete_keys(int fd, const std::vector<K>& keys) {
  for (const auto& k : keys) bpf_map_delete_elem(fd, &k);
}

bool contains(const std::vector<uint64_t>& v, uint64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

Status read_rw(bpf_map* map, const std::vector<uint64_t>& forget, std::vector<RwEntry>& out) {
  std::vector<ceems_rw_key> dead;
  errno = 0;
  Status st = walk_map<ceems_rw_key, ceems_rw_value>(
      bpf_map__fd(map), bpf_map__name(map), [&](const ceems_rw_key& k, const ceems_rw_value& v) {
        if (contains(forget, k.cid)) {
          dead.push_back(k);
          return;
        }
        out.push_back({k.cid, mount_label(k.mnt, sizeof k.mnt), v.bytes, v.calls, v.errors});
      });
  delete_keys(bpf_map__fd(map), dead);
  return st;
}

Status read_calls(bpf_map* map, const std::vector<uint64_t>& forget, std::vector<CallEntry>& out) {
  std::vector<uint64_t> dead;
  errno = 0;
  Status st = walk_map<uint64_t, ceems_call_value>(bpf_map__fd(map), bpf_map__name(map),
                                                   [&](const uint64_t& k, const ceems_call_value& v) {
                                                     if (contains(forget, k)) {
                                                       dead.push_back(k);
                                                       return;
                                                     }
                                                     out.push_back({k, v.calls, v.errors});
                                                   });
  delete_keys(bpf_map__fd(map), dead);
  return st;
}

Status read_net(bpf_map* map, const std::vector<uint64_t>& forget, std::vector<NetEntry>& out) {
  std::vector<ceems_net_key> dead;
  errno = 0;
  Status st = walk_map<ceems_net_key, ceems_net_value>(
      bpf_map__fd(map), bpf_map__name(map), [&](const ceems_net_key& k, const ceems_net_value& v) {
        if (contains(forget, k.cid)) {
          dead.push_back(k);
          return;
        }
        out.push_back({k.cid, k.proto, k.fam, v.packets, v.bytes});
      });
  delete_keys(bpf_map__fd(map), dead);
  return st;
}

}  // namespace ceems::ebpf
