// parse_cpuinfo on arbitrary bytes must return a value or an error, never crash.
#include "core/fuzz_harness.h"
#include "node/cpu.h"

namespace {
void fuzz(std::string_view in) { (void)ceems::parse_cpuinfo(in).ok(); }
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
