#include "core/fuzz_harness.h"
#include "exporter/process_metrics.h"

namespace {
void fuzz(std::string_view in) {
  (void)ceems::parse_self_stat(in, 100, 4096);
  (void)ceems::parse_limit(in, "Max open files");
  (void)ceems::parse_net_dev_totals(in);
  (void)ceems::parse_boot_time(in);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
