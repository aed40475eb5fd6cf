// parse_proc_stat on arbitrary bytes must return a value or an error, never crash.
#include "core/fuzz_harness.h"
#include "node/cpu.h"

namespace {
void fuzz(std::string_view in) { (void)ceems::parse_proc_stat(in).ok(); }
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
