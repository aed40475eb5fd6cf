// The pm_counters value parser and the file-name domain scanner on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "power/cray_pm_counters.h"

namespace {
void fuzz(std::string_view in) {
  (void)ceems::parse_pm_counter_value(in).ok();
  if (in.size() <= 255) (void)ceems::pm_counter_domains_in_name(in);  // file names are short
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
