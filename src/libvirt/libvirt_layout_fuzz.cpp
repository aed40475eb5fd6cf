// Feeds any input to the libvirt layout's unit-id and child matchers.
#include "core/fuzz_harness.h"
#include "libvirt/libvirt_layout.h"

namespace {
void fuzz(std::string_view in) {
  (void)ceems::libvirt::match_libvirt_instance(in);
  (void)ceems::libvirt::is_libvirt_child(in);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
