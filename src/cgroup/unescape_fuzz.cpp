// Path unescaping, and the matchers applied to its output as discovery does.
#include <cstdlib>

#include "cgroup/parsers.h"
#include "core/fuzz_harness.h"

namespace {
void fuzz(std::string_view in) {
  using namespace ceems::cgroup;
  std::string out;
  if (!unescape_path_into(in, out).ok()) return;
  // Escapes only shrink the text, except a raw invalid byte, which becomes U+FFFD (3 bytes).
  if (out.size() > in.size() * 3) std::abort();
  if (auto id = match_slurm_job(out)) {
    if (id->empty() || id->data() < out.data() || id->data() + id->size() > out.data() + out.size())
      std::abort();
  }
  if (auto id = match_libvirt_instance(out)) {
    if (id->substr(0, 9) != "instance-") std::abort();
  }
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
