// The `wt` provider: WattTime's marginal CO2 emission rate (co2_moer) of one grid
// region (WT_REGION), converted from lbs/MWh to g/kWh and exported with the region as
// both `country_code` and `country`. WattTime's API needs a login: GET /login with
// HTTP basic authentication (WT_USERNAME, WT_PASSWORD) returns a token that the data
// requests send as "Authorization: Bearer". Like the other network providers it makes
// no request at start-up and serves its last result for 30 minutes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/log.h"
#include "core/result.h"
#include "emissions/providers.h"
#include "http/client.h"

namespace ceems::emissions {

// WT_USERNAME, WT_PASSWORD and WT_REGION must be set and non-empty; none may hold a
// control character (a CR left by an edited EnvironmentFile would make every login fail
// or corrupt the query), the user name no ':' (basic authentication cannot carry it),
// the region no white space. The message names the variable, never its value.
Status check_wt_credentials(const ProviderOptions& options);

class WattTimeProvider final : public CachingProvider {
 public:
  // Fails only on configuration (check_wt_credentials, no HTTP client); makes no request.
  static Result<std::unique_ptr<WattTimeProvider>> create(const ProviderOptions& options, log::Logger logger);

 private:
  WattTimeProvider(const ProviderOptions& options, log::Logger logger);
  // Logs in when no token is cached or the cached one is older than the token
  // lifetime, then asks /v3/historical; a 401 answer means the token expired early:
  // one new login and one retry. All requests of one fetch share one request timeout.
  Result<EmissionFactors> fetch(std::chrono::milliseconds timeout) override;
  Result<std::string> login(std::chrono::steady_clock::time_point deadline);
  Result<http::ClientResponse> get(http::ClientRequest req, std::chrono::steady_clock::time_point deadline);

  std::shared_ptr<http::HttpClient> client_;
  std::string basic_credentials_;  // base64 of "user:password"
  std::string region_;
  std::string login_url_;
  std::string data_url_;
  std::chrono::milliseconds token_lifetime_;
  std::function<std::chrono::system_clock::time_point()> wall_clock_;
  // Used by fetch() only, which runs under the cache lock.
  std::string token_;
  std::chrono::steady_clock::time_point token_expiry_;
};

}  // namespace ceems::emissions
