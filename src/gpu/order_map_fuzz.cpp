// The Slurm GPU order map parser on arbitrary bytes.
#include <vector>

#include "core/fuzz_harness.h"
#include "gpu/gpu.h"

namespace {
void fuzz(std::string_view in) {
  auto r = ceems::gpu::parse_order_map(in);
  if (r.ok()) {
    std::vector<ceems::gpu::Device> devices(2);
    devices[0].local_index = "0";
    devices[1].local_index = "1";
    devices[1].mig_instances.resize(2);
    ceems::gpu::apply_order_map(devices, *r);
  }
  auto bus = ceems::gpu::parse_bus_id(in);
  (void)bus;
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
