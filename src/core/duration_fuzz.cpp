#include "core/duration.h"
#include "core/fuzz_harness.h"

namespace {
void fuzz(std::string_view in) { (void)ceems::parse_duration(in); }
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
