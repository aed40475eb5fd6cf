// The amd-smi JSON parser on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "gpu/gpu.h"

namespace {
void fuzz(std::string_view in) {
  auto r = ceems::gpu::parse_amd_smi_json(in);
  (void)r;
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
