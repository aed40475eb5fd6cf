// Pure decoders for the emission-factor data sources: the Electricity Maps and RTE
// eCO2mix JSON APIs, the OWID grapher CSV and the ISO 3166-1 code list. They follow
// the decoding rules of Go's encoding/json and encoding/csv (what CEEMS 0.5.1 uses)
// so that the same responses are accepted and rejected: null leaves a field unset,
// object keys match struct fields case-insensitively, integer fields reject 1.0 and
// 1e2, invalid UTF-8 in strings becomes U+FFFD, a byte-order mark is a syntax error,
// nesting beyond 10000 levels fails. Remaining differences (adversarial input only)
// are listed in README.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems::emissions {

// One exported factor: the `country` label value and gCO2eq per kWh.
struct EmissionFactor {
  std::string name;
  double value = 0;

  bool operator==(const EmissionFactor&) const = default;
};
// Keyed by the `country_code` label value (ISO alpha-2 code or Electricity Maps zone).
using EmissionFactors = std::map<std::string, EmissionFactor>;

// Electricity Maps GET /zones: zone key -> display name ("<countryName> <zoneName>",
// each part only when present, trimmed like Go's strings.TrimSpace).
Result<std::map<std::string, std::string>> parse_emaps_zones(std::string_view body);

// Electricity Maps GET /carbon-intensity/latest. Only carbonIntensity is used; the other
// documented fields are type-checked because a mistyped one fails the whole decode.
struct EmapsCarbonIntensity {
  std::string zone;
  int64_t carbon_intensity = 0;
  std::string datetime;
  std::string updated_at;
  std::string emission_factor_type;
  bool is_estimated = false;
  std::string estimation_method;
};
Result<EmapsCarbonIntensity> parse_emaps_carbon_intensity(std::string_view body);

// RTE eCO2mix (Opendatasoft explore API v2.1) records response: {"FR": ("France",
// results[0].taux_co2)}, or an error when `results` is empty.
Result<EmissionFactors> parse_rte_response(std::string_view body);

// Query string of the eCO2mix request for a local date "YYYY-MM-DD", encoded like Go's
// url.Values.Encode (keys sorted, space as '+').
std::string rte_query(std::string_view local_date);

// Go's url.QueryEscape: keeps A-Z a-z 0-9 - _ . ~, space becomes '+', the rest %XX.
std::string query_escape(std::string_view s);

// ISO 3166-1 list in the Debian iso-codes JSON layout: alpha-3 -> alpha-2.
Result<std::map<std::string, std::string>> parse_iso3166_alpha3_to_alpha2(std::string_view body);

// An OWID "carbon-intensity-electricity" grapher CSV export (Entity,Code,Year,value):
// per alpha-2 code the entity name and the value of the last parsable row in file
// order. Rows whose code is empty or not a known alpha-3 code (the header, region
// aggregates, OWID_WRL) are skipped. Fails on malformed CSV or ragged records.
Result<EmissionFactors> parse_owid_csv(std::string_view csv,
                                       const std::map<std::string, std::string>& alpha3_to_alpha2);

}  // namespace ceems::emissions
