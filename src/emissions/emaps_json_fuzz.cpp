// Both Electricity Maps decoders on arbitrary bytes: must never crash or hang.
#include "core/fuzz_harness.h"
#include "emissions/parsers.h"

namespace {

void fuzz_emaps(std::string_view data) {
  auto zones = ceems::emissions::parse_emaps_zones(data);
  if (zones) {
    for (const auto& [zone, name] : *zones) (void)ceems::emissions::query_escape(zone + name);
  }
  (void)ceems::emissions::parse_emaps_carbon_intensity(data);
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz_emaps)
