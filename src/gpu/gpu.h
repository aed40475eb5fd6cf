// GPU inventory (spec 13): NVIDIA from `nvidia-smi --query --xml-format` (MIG
// included), AMD from rocm-smi (or amd-smi), the Slurm GPU order map. Built once
// at start-up by the slurm and libvirt collectors; libvirt refreshes vGPU mdevs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/command_runner.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/result.h"

namespace ceems::gpu {

struct BusId {
  uint16_t domain = 0, bus = 0, device = 0, function = 0;
  friend bool operator==(const BusId&, const BusId&) = default;
};

// First match of HEX:HEX:HEX.HEX anywhere in s; each part must fit in 16 bits.
Result<BusId> parse_bus_id(std::string_view s);

struct MigInstance {
  std::string local_index;   // <index> in the XML
  std::string global_index;  // matched against Slurm ordinals
  uint64_t compute_inst_id = 0;
  uint64_t gpu_inst_id = 0;
  double sm_fraction = 0;  // this instance's SMs / all instances' SMs on the GPU
  std::vector<std::string> mdev_uuids;
};

struct Device {
  std::string local_index;   // position in the tool's output
  std::string global_index;  // "" for MIG-enabled GPUs
  std::string uuid;          // NVIDIA GPU-...; AMD serial number
  std::string name;          // for logs only
  std::optional<BusId> bus_id;
  bool mig_enabled = false;
  bool vgpu_enabled = false;
  std::vector<std::string> mdev_uuids;
  std::vector<MigInstance> mig_instances;
};

// Pure parsers over tool output.
Result<std::vector<Device>> parse_nvidia_smi_xml(std::string_view xml);
Result<std::vector<Device>> parse_rocm_smi_csv(std::string_view csv);
// `amd-smi static --asic --bus --json`: a top-level array of per-GPU objects, or an
// object holding exactly one such array. Serials are normalised to rocm-smi's form.
Result<std::vector<Device>> parse_amd_smi_json(std::string_view json);

// --collector.slurm.gpu-order-map: `<slurm_index>:<smi_index>[.<gpu_instance_id>]`,
// comma separated. Unlike the original, a malformed entry is an error naming it.
struct OrderMapEntry {
  std::string slurm_index;
  std::string smi_index;                   // position of the GPU in the tool output
  std::optional<std::string> instance_id;  // MIG GPU instance id
  std::string text;                        // the entry as the operator wrote it, trimmed
};
Result<std::vector<OrderMapEntry>> parse_order_map(std::string_view text);

// A map entry naming a GPU position or MIG instance that discovery did not find:
// Slurm's ordinal then matches nothing and the job's GPU is reported as `/`.
struct OrderMapMiss {
  std::string entry;  // OrderMapEntry::text
  std::string found;  // what discovery has instead, in words
};
// Re-indexes the devices; returns the entries that matched nothing, in map order.
std::vector<OrderMapMiss> apply_order_map(std::vector<Device>& devices, std::span<const OrderMapEntry> map);

// --collector.gpu.type, --collector.gpu.{nvidia,rocm,amd}-smi-path.
void register_gpu_flags(FlagSet& flags);

struct DiscoveryOptions {
  std::string type;  // "", "nvidia" or "amd"
  std::string nvidia_smi_path;
  std::string rocm_smi_path;
  std::string amd_smi_path;
};
DiscoveryOptions discovery_options(const FlagSet& flags);

// Tries the forced vendor, else NVIDIA then AMD; the first that succeeds wins
// (logged with the count). Nothing found is an empty list, not an error. AMD uses
// rocm-smi, and amd-smi only when rocm-smi is not found.
std::vector<Device> discover(const DiscoveryOptions& opts, CommandRunner& runner, const log::Logger& logger);

// vGPU mediated devices from `nvidia-smi vgpu --query` (libvirt only).
struct VgpuBlock {
  BusId bus;
  std::vector<std::pair<std::string, std::string>> mdevs;  // (mdev uuid, gpu instance id or "N/A")
};
Result<std::vector<VgpuBlock>> parse_nvidia_smi_vgpu(std::string_view text);
// Replaces the mdev lists of every device (or its MIG instances) that a block names.
void apply_vgpu(std::vector<Device>& devices, const std::vector<VgpuBlock>& blocks);
// Runs the query and applies it; on failure returns the error, devices unchanged.
Status refresh_vgpu(std::vector<Device>& devices, const DiscoveryOptions& opts, CommandRunner& runner);

}  // namespace ceems::gpu
