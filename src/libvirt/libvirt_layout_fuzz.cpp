// The libvirt layout's matchers on any path, raw and unescaped as discovery does.
#include <cstdlib>
#include <string>

#include "cgroup/parsers.h"
#include "core/fuzz_harness.h"
#include "libvirt/libvirt_layout.h"

namespace {
void check(std::string_view path) {
  if (auto id = ceems::libvirt::match_libvirt_instance(path)) {
    if (id->substr(0, 9) != "instance-") std::abort();
  }
  (void)ceems::libvirt::is_libvirt_child(path);
}

void fuzz(std::string_view in) {
  check(in);
  std::string out;
  if (ceems::cgroup::unescape_path_into(in, out).ok()) check(out);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
