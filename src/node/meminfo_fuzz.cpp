// parse_meminfo on arbitrary bytes must return a value or an error, never crash.
#include "core/fuzz_harness.h"
#include "node/meminfo.h"

namespace {
void fuzz(std::string_view in) { (void)ceems::parse_meminfo(in).ok(); }
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
