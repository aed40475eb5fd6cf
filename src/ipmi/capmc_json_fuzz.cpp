// The capmc JSON parser on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "ipmi/tool_output.h"

namespace {
void fuzz(std::string_view in) {
  auto r = ceems::ipmi::parse_capmc_output(in);
  (void)r;
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
