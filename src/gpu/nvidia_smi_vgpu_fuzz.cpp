// The `nvidia-smi vgpu --query` parser on arbitrary bytes, and the merge of what it
// finds into an inventory with a plain and a MIG-enabled GPU.
#include <vector>

#include "core/fuzz_harness.h"
#include "gpu/gpu.h"

namespace {
void fuzz(std::string_view in) {
  auto r = ceems::gpu::parse_nvidia_smi_vgpu(in);
  if (!r.ok()) return;
  std::vector<ceems::gpu::Device> devices(2);
  devices[0].bus_id = ceems::gpu::BusId{.domain = 0, .bus = 0x10, .device = 0, .function = 0};
  devices[1].bus_id = ceems::gpu::BusId{.domain = 0, .bus = 0x21, .device = 0, .function = 0};
  devices[1].mig_enabled = true;
  devices[1].mig_instances.resize(2);
  devices[1].mig_instances[0].gpu_inst_id = 1;
  devices[1].mig_instances[1].gpu_inst_id = 5;
  ceems::gpu::apply_vgpu(devices, *r);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
