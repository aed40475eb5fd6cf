// The Slurm layout's matchers on any path, raw and unescaped as discovery does.
#include <cstdlib>
#include <string>

#include "cgroup/parsers.h"
#include "core/fuzz_harness.h"
#include "slurm/slurm_layout.h"

namespace {
void check(std::string_view path) {
  if (auto id = ceems::slurm::match_slurm_job(path)) {
    if (id->empty() || id->data() < path.data() || id->data() + id->size() > path.data() + path.size()) {
      std::abort();
    }
  }
  (void)ceems::slurm::is_slurm_child(path);
}

void fuzz(std::string_view in) {
  check(in);
  std::string out;
  if (ceems::cgroup::unescape_path_into(in, out).ok()) check(out);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
