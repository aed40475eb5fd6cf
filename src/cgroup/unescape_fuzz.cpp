// Path unescaping (the layouts' fuzzers match its output as discovery does).
#include <cstdlib>

#include "cgroup/parsers.h"
#include "core/fuzz_harness.h"

namespace {
void fuzz(std::string_view in) {
  std::string out;
  if (!ceems::cgroup::unescape_path_into(in, out).ok()) return;
  // Escapes only shrink the text, except a raw invalid byte, which becomes U+FFFD (3 bytes).
  if (out.size() > in.size() * 3) std::abort();
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
