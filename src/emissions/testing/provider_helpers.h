// Helpers of the emissions providers' tests: an Electricity Maps API answering
// from a fixed zone list, provider options pointing at test URLs, log line counts.
#pragma once

#include <memory>
#include <string>

#include "core/strings.h"
#include "emissions/providers.h"
#include "emissions/testing/test_util.h"

namespace ceems::emissions::test {

constexpr const char* kZones =
    R"({"FR": {"zoneName": "France"}, "DE": {"zoneName": "Germany"},
        "US-CAL-CISO": {"countryName": "USA", "zoneName": "CAISO"}, "PL": {}})";

// Log lines (logfmt) at `level` whose message is `msg`.
inline size_t count_lines(const std::string& log, const std::string& level, const std::string& msg) {
  size_t n = 0;
  for (const auto& line : split(log, '\n')) {
    const bool quoted = line.find("msg=\"" + msg + "\"") != std::string::npos;
    const bool bare = line.find("msg=" + msg + " ") != std::string::npos;
    n += line.find("level=" + level + " ") != std::string::npos && (quoted || bare) ? 1 : 0;
  }
  return n;
}

inline std::string zone_of(const std::string& url) {
  const auto pos = url.find("zone=");
  return pos == std::string::npos ? "" : url.substr(pos + 5);
}

// An Electricity Maps API: zones as above; FR 32, DE 380, US-CAL-CISO 250, PL an error body.
inline Result<http::ClientResponse> emaps_api(const http::ClientRequest& req) {
  if (ends_with(req.url, "/zones")) return response(kZones);
  const std::string zone = zone_of(req.url);
  if (zone == "FR") return response(R"({"zone": "FR", "carbonIntensity": 32, "isEstimated": false})");
  if (zone == "DE") return response(R"({"zone": "DE", "carbonIntensity": 380})");
  if (zone == "US-CAL-CISO") return response(R"({"zone": "US-CAL-CISO", "carbonIntensity": 250})");
  return response(R"({"error": "Zone is not available with your plan"})", 401);
}

inline ProviderOptions options_with(std::shared_ptr<http::HttpClient> client, ManualClock* clock = nullptr) {
  ProviderOptions o;
  o.client = std::move(client);
  o.emaps_token = "secret-token";
  o.emaps_base_url = "https://emaps.test/v3";
  o.emaps_zones_base_url = "https://zones.test/v3";
  o.rte_url = "https://rte.test/records";
  o.local_date = [] { return std::string("2025-01-15"); };
  if (clock != nullptr) o.clock = clock->fn();
  return o;
}

}  // namespace ceems::emissions::test
