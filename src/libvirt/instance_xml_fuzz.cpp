// The instance XML parser on arbitrary bytes, and the GPU matching of whatever it
// accepts against an inventory with a whole, a vGPU and a MIG GPU.
#include <vector>

#include "core/fuzz_harness.h"
#include "libvirt/instance_xml.h"

namespace {
void fuzz(std::string_view in) {
  auto r = ceems::libvirt::parse_instance_xml(in);
  if (!r.ok()) return;
  std::vector<ceems::gpu::Device> gpus(3);
  gpus[0].global_index = "0";
  gpus[0].bus_id = ceems::gpu::BusId{.domain = 0, .bus = 0x10, .device = 0, .function = 0};
  gpus[1].global_index = "1";
  gpus[1].vgpu_enabled = true;
  gpus[1].mdev_uuids = {"11111111-aaaa-4bbb-8ccc-000000000001"};
  gpus[2].mig_enabled = true;
  gpus[2].bus_id = ceems::gpu::BusId{.domain = 0, .bus = 0x30, .device = 0, .function = 0};
  gpus[2].mig_instances.resize(1);
  gpus[2].mig_instances[0].global_index = "2";
  gpus[2].mig_instances[0].mdev_uuids = {"33333333-aaaa-4bbb-8ccc-000000000003"};
  (void)ceems::libvirt::gpu_ordinals(*r, gpus);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
