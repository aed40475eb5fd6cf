#include "emissions/watttime.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "core/base64.h"
#include "emissions/parsers.h"

namespace ceems::emissions {
namespace {

bool is_success(int status) { return status >= 200 && status < 300; }

}  // namespace

Status check_wt_credentials(const ProviderOptions& options) {
  const std::pair<std::string_view, const std::optional<std::string>*> vars[] = {
      {kWattTimeUsernameEnv, &options.wt_username},
      {kWattTimePasswordEnv, &options.wt_password},
      {kWattTimeRegionEnv, &options.wt_region},
  };
  for (const auto& [name, value] : vars) {
    if (!value->has_value()) {
      return invalid("missing username/password/region for Watt Time: " + std::string(name) + " is not set");
    }
    if ((*value)->empty()) {
      return invalid("missing username/password/region for Watt Time: " + std::string(name) + " is empty");
    }
  }
  const auto malformed = [](std::string_view name, const std::string& where, std::string_view what) {
    return invalid("malformed Watt Time credentials in " + std::string(name) + ": " + where + " is " +
                   std::string(what));
  };
  if (auto at = first_bad_byte(*options.wt_username, is_control_byte)) {
    return malformed(kWattTimeUsernameEnv, *at, "a control character");
  }
  if (auto at = first_bad_byte(*options.wt_username, [](unsigned char c) { return c == ':'; })) {
    return malformed(kWattTimeUsernameEnv, *at, "':', which basic authentication cannot carry");
  }
  if (auto at = first_bad_byte(*options.wt_password, is_control_byte)) {
    return malformed(kWattTimePasswordEnv, *at, "a control character");
  }
  if (auto at = first_bad_byte(*options.wt_region, is_space_or_control_byte)) {
    return malformed(kWattTimeRegionEnv, *at, "white space or a control character");
  }
  return Status::Ok();
}

Result<std::unique_ptr<WattTimeProvider>> WattTimeProvider::create(const ProviderOptions& options,
                                                                   log::Logger logger) {
  if (auto st = check_wt_credentials(options); !st) return st.error();
  if (!options.client) return invalid("no HTTP client for Watt Time");
  logger.info("Emission factor from WattTime will be reported.");
  return std::unique_ptr<WattTimeProvider>(new WattTimeProvider(options, std::move(logger)));
}

WattTimeProvider::WattTimeProvider(const ProviderOptions& options, log::Logger logger)
    : CachingProvider(options, std::move(logger),
                      {"Failed to retrieve emission factor from Watt Time provider",
                       "Emission factor from Watt Time provider available again",
                       "Using cached emission factor for Watt Time provider"}),
      client_(options.client),
      basic_credentials_(base64_encode(*options.wt_username + ":" + *options.wt_password)),
      region_(*options.wt_region),
      login_url_(options.wt_base_url + "/login"),
      data_url_(options.wt_base_url + "/v3/historical"),
      token_lifetime_(options.wt_token_lifetime),
      wall_clock_(options.wall_clock ? options.wall_clock : &std::chrono::system_clock::now) {}

Result<http::ClientResponse> WattTimeProvider::get(http::ClientRequest req,
                                                   std::chrono::steady_clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left <= std::chrono::milliseconds(0)) {
    return Error(ErrorKind::kTimeout,
                 "no time left for GET " + url_without_query(req.url) + " within the request timeout");
  }
  req.timeout = req.connect_timeout = left;
  // The request carries a credential: no redirect may take it anywhere.
  req.follow_redirects = false;
  return send_request(*client_, req);
}

Result<std::string> WattTimeProvider::login(std::chrono::steady_clock::time_point deadline) {
  http::ClientRequest req = get_request(login_url_, {});
  req.headers.emplace("Authorization", "Basic " + basic_credentials_);
  logger().debug("Logging in to Watt Time", {{"url", url_without_query(req.url)}});
  auto resp = get(std::move(req), deadline);
  if (!resp) return resp.error();
  if (resp->status == 401 || resp->status == 403) {
    return invalid("Watt Time refused the login (HTTP " + std::to_string(resp->status) + "): check " +
                   std::string(kWattTimeUsernameEnv) + " and " + std::string(kWattTimePasswordEnv));
  }
  if (!is_success(resp->status)) {
    return Error(ErrorKind::kIo, "Watt Time login failed: HTTP " + std::to_string(resp->status) + " from " +
                                     url_without_query(login_url_));
  }
  auto token = parse_wt_login(resp->body);
  if (!token) return token.error().wrap("unexpected response from " + url_without_query(login_url_));
  token_ = *token;
  token_expiry_ = now() + token_lifetime_;
  logger().debug("Logged in to Watt Time");
  return token;
}

Result<EmissionFactors> WattTimeProvider::fetch(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (token_.empty() || now() >= token_expiry_) {
    token_.clear();
    if (auto t = login(deadline); !t)
      return t.error().wrap("failed to update api token of watt time provider");
  }
  const std::string url = data_url_ + "?" + wt_historical_query(region_, wall_clock_());
  const auto ask = [&] {
    http::ClientRequest req = get_request(url, {});
    req.headers.emplace("Authorization", "Bearer " + token_);
    logger().debug("Fetching Watt Time emission factor", {{"url", url_without_query(url)}});
    return get(std::move(req), deadline);
  };
  auto resp = ask();
  if (resp && resp->status == 401) {
    // The token expired before its time (or was revoked): one new login, one retry.
    logger().debug("Watt Time refused the token; logging in again");
    token_.clear();
    if (auto t = login(deadline); !t)
      return t.error().wrap("failed to update api token of watt time provider");
    resp = ask();
  }
  if (!resp) return resp.error();
  if (resp->status == 401) token_.clear();
  if (!is_success(resp->status)) {
    return Error(ErrorKind::kIo, "unexpected HTTP status " + std::to_string(resp->status) + " from " +
                                     url_without_query(url));
  }
  auto signal = parse_wt_signal(resp->body);
  if (!signal)
    return signal.error().wrap("failed to unmarshal HTTP response body for url " + url_without_query(url));
  auto factors = wt_factors(*signal, region_);
  if (!factors) return factors.error();
  logger().debug("Using real time emission factor from Watt Time provider",
                 {{"factor", factors->begin()->second.value}});
  return factors;
}

}  // namespace ceems::emissions
