// Every Redfish document parser on arbitrary bytes: no crash, no hang, and a Power
// document that parses always sums.
#include <string_view>

#include "core/fuzz_harness.h"
#include "redfish/redfish.h"

namespace {

void fuzz_redfish_json(std::string_view data) {
  (void)ceems::redfish::parse_service_root(data);
  (void)ceems::redfish::parse_collection(data);
  (void)ceems::redfish::parse_chassis(data);
  auto power = ceems::redfish::parse_power(data);
  if (power.ok()) (void)ceems::redfish::sum_power(*power);
  (void)ceems::redfish::session_path(data);
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz_redfish_json)
