// --collector.slurm.gpu-order-map: Slurm's GPU numbering differs from nvidia-smi's
// when full and MIG-partitioned GPUs are mixed, so operators state the mapping.
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

constexpr std::string_view kFlag = "--collector.slurm.gpu-order-map";

Error bad_entry(std::string_view entry, std::string_view why) {
  return invalid("invalid entry " + quote_for_error(entry) + " in " + std::string(kFlag) + ": " +
                 std::string(why) + " (expected <slurm_index>:<smi_index>[.<gpu_instance_id>])");
}

// Numbers are written back in canonical form so that `01` matches GPU position 1
// and Slurm ordinal `1`, which are compared as text later.
std::optional<std::string> canonical_index(std::string_view s) {
  auto n = parse_u64(trim(s));
  if (!n) return std::nullopt;
  return std::to_string(*n);
}

std::string gpu_name(const Device& d) {
  return "GPU " + d.local_index + (d.uuid.empty() ? "" : " (" + d.uuid + ")");
}

std::string no_gpu_at(std::string_view position, const std::vector<Device>& devices) {
  if (devices.empty()) return "no GPU was discovered";
  std::string positions;
  for (const Device& d : devices) positions += (positions.empty() ? "" : ",") + d.local_index;
  return "no GPU at position " + std::string(position) + "; GPUs discovered at positions " + positions;
}

std::string instances_of(const Device& d) {
  if (d.mig_instances.empty()) {
    return gpu_name(d) + (d.mig_enabled ? " has no MIG instances" : " is not MIG-enabled");
  }
  std::string ids;
  for (const MigInstance& m : d.mig_instances)
    ids += (ids.empty() ? "" : ",") + std::to_string(m.gpu_inst_id);
  return gpu_name(d) + " has MIG GPU instance ids " + ids;
}

}  // namespace

Result<std::vector<OrderMapEntry>> parse_order_map(std::string_view text) {
  std::vector<OrderMapEntry> out;
  if (trim(text).empty()) return out;
  std::set<std::string> seen;
  for (std::string_view raw : split(text, ',')) {
    std::string_view entry = trim(raw);
    if (entry.empty()) return bad_entry(entry, "empty entry");
    std::vector<std::string_view> sides = split(entry, ':');
    if (sides.size() != 2) return bad_entry(entry, "needs exactly one ':'");
    auto slurm = canonical_index(sides[0]);
    if (!slurm) return bad_entry(entry, "slurm index is not a non-negative integer");
    std::vector<std::string_view> target = split(sides[1], '.');
    if (target.size() > 2) return bad_entry(entry, "smi index has more than one '.'");
    auto smi = canonical_index(target[0]);
    if (!smi) return bad_entry(entry, "smi index is not a non-negative integer");
    OrderMapEntry e{.slurm_index = *slurm, .smi_index = *smi, .text = std::string(entry)};
    if (target.size() == 2) {
      auto gi = canonical_index(target[1]);
      if (!gi) return bad_entry(entry, "GPU instance id is not a non-negative integer");
      e.instance_id = *gi;
    }
    if (!seen.insert(e.slurm_index).second)
      return bad_entry(entry, "slurm index " + e.slurm_index + " mapped twice");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<OrderMapMiss> apply_order_map(std::vector<Device>& devices, std::span<const OrderMapEntry> map) {
  std::vector<OrderMapMiss> misses;
  for (const OrderMapEntry& e : map) {
    const Device* at_position = nullptr;
    bool matched = false;
    for (Device& d : devices) {
      if (d.local_index != e.smi_index) continue;
      at_position = &d;
      if (!e.instance_id) {
        d.global_index = e.slurm_index;
        matched = true;
        continue;
      }
      for (MigInstance& inst : d.mig_instances) {
        if (std::to_string(inst.gpu_inst_id) == *e.instance_id) {
          inst.global_index = e.slurm_index;
          matched = true;
          break;
        }
      }
    }
    if (matched) continue;
    if (at_position == nullptr) {
      misses.push_back({e.text, no_gpu_at(e.smi_index, devices)});
    } else {
      misses.push_back({e.text, instances_of(*at_position)});
    }
  }
  return misses;
}

}  // namespace ceems::gpu
