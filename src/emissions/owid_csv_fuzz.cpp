// The OWID CSV reader (encoding/csv rules) on arbitrary bytes. Not parsed at run time
// (the table is generated at build time), but it is the tool to load a newer data set.
#include <map>
#include <string>

#include "core/fuzz_harness.h"
#include "emissions/parsers.h"

namespace {

void fuzz_owid(std::string_view data) {
  static const std::map<std::string, std::string> kCodes = {{"FRA", "FR"}, {"DEU", "DE"}, {"", "XX"}};
  (void)ceems::emissions::parse_owid_csv(data, kCodes);
  (void)ceems::emissions::parse_iso3166_alpha3_to_alpha2(data);
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz_owid)
