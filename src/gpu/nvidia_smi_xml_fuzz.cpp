// The nvidia-smi XML decoder on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "gpu/gpu.h"

namespace {
void fuzz(std::string_view in) {
  auto r = ceems::gpu::parse_nvidia_smi_xml(in);
  (void)r;
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
