// Feeds any input to the slurm layout's unit-id and child matchers.
#include "core/fuzz_harness.h"
#include "slurm/slurm_layout.h"

namespace {
void fuzz(std::string_view in) {
  (void)ceems::slurm::match_slurm_job(in);
  (void)ceems::slurm::is_slurm_child(in);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
