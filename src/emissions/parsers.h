// Pure decoders for the emission-factor data sources: the Electricity Maps, RTE
// eCO2mix and WattTime JSON APIs, the OWID grapher CSV and the ISO 3166-1 code list. They follow
// the decoding rules of Go's encoding/json and encoding/csv (what CEEMS 0.5.1 uses)
// so that the same responses are accepted and rejected: null leaves a field unset,
// object keys match struct fields case-insensitively, integer fields reject 1.0 and
// 1e2, invalid UTF-8 in strings becomes U+FFFD, a byte-order mark is a syntax error,
// nesting beyond 10000 levels fails. Remaining differences (adversarial input only)
// are listed in README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Where a credential (an API token, a user name, a password) first holds a byte that
// `bad` rejects, as "byte i of n", which names no part of the secret; nullopt when
// none does. Credentials travel in headers, where white space or a control character
// (a CR left by an edited EnvironmentFile) would corrupt the request.
template <typename Bad>
std::optional<std::string> first_bad_byte(std::string_view value, Bad bad) {
  for (size_t i = 0; i < value.size(); ++i) {
    if (bad(static_cast<unsigned char>(value[i]))) {
      return "byte " + std::to_string(i + 1) + " of " + std::to_string(value.size());
    }
  }
  return std::nullopt;
}
inline bool is_control_byte(unsigned char c) { return c < 0x20 || c == 0x7f; }
inline bool is_space_or_control_byte(unsigned char c) { return c <= 0x20 || c == 0x7f; }

// WattTime GET /login: the "token" member. An empty or missing token, or one holding
// white space or a control character (it travels in a header), is an error that never
// contains the token.
Result<std::string> parse_wt_login(std::string_view body);

// WattTime GET /v3/historical (and the other v3 signal endpoints): the value of the
// last data point, the units and warnings of `meta`. point_time and last_updated must
// be RFC 3339 strings when present (Go's time.Time); value is any JSON number.
struct WattTimeSignal {
  std::optional<double> latest;       // data[last].value; nullopt when data is empty
  std::string units;                  // meta.units, "" when absent
  std::vector<std::string> warnings;  // meta.warnings[].message
};
Result<WattTimeSignal> parse_wt_signal(std::string_view body);

// 1 lb CO2/MWh in g CO2/kWh: WattTime's co2_moer is in lbs_co2_per_mwh.
inline constexpr double kLbPerMWhInGPerKWh = 0.453592;

// The factor of `region` (`country_code` and `country` label values alike) in
// gCO2/kWh from a decoded signal: missing data is a kNoData error listing the
// warnings, units other than lbs_co2_per_mwh (or none) are an error.
Result<EmissionFactors> wt_factors(const WattTimeSignal& signal, const std::string& region);

// Query of the /v3/historical request: co2_moer for `region` over the 15 minutes up
// to `now`, times in UTC RFC 3339, encoded like Go's url.Values.Encode.
std::string wt_historical_query(std::string_view region, std::chrono::system_clock::time_point now);

// ISO 3166-1 list in the Debian iso-codes JSON layout: alpha-3 -> alpha-2.
Result<std::map<std::string, std::string>> parse_iso3166_alpha3_to_alpha2(std::string_view body);

// An OWID "carbon-intensity-electricity" grapher CSV export (Entity,Code,Year,value):
// per alpha-2 code the entity name and the value of the last parsable row in file
// order. Rows whose code is empty or not a known alpha-3 code (the header, region
// aggregates, OWID_WRL) are skipped. Fails on malformed CSV or ragged records.
Result<EmissionFactors> parse_owid_csv(std::string_view csv,
                                       const std::map<std::string, std::string>& alpha3_to_alpha2);

}  // namespace ceems::emissions
