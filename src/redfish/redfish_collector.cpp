#include "redfish/redfish_collector.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <map>
#include <utility>

#include "core/strings.h"
#include "dns/resolver.h"
#include "ipmi/openipmi.h"

namespace ceems {
namespace {

constexpr std::string_view kConfigHelp = "Path to Redfish web configuration file.";

MetricDesc gauge(const char* name, const char* help) {
  return {name, help, MetricType::kGauge, {"hostname", "chassis"}};
}

const MetricDesc& current_desc() {
  static const MetricDesc d = gauge("ceems_redfish_current_watts", "Current Power consumption in watts");
  return d;
}
const MetricDesc& min_desc() {
  static const MetricDesc d = gauge("ceems_redfish_min_watts", "Minimum Power consumption in watts");
  return d;
}
const MetricDesc& max_desc() {
  static const MetricDesc d = gauge("ceems_redfish_max_watts", "Maximum Power consumption in watts");
  return d;
}
const MetricDesc& avg_desc() {
  static const MetricDesc d = gauge("ceems_redfish_avg_watts", "Average Power consumption in watts");
  return d;
}

}  // namespace

std::string reverse_lookup_or_ip(const std::string& ip) {
  // /etc/hosts, then a PTR query, without NSS (a static binary has none); names
  // come back fully qualified with the root dot, as the reference's resolver gives.
  auto names = dns::make_system_resolver()->lookup_addr(
      ip, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  if (!names || names->empty()) return ip;
  return names->front();
}

std::string discover_bmc_hostname(const log::Logger& logger) {
  auto ip = ipmi::discover_bmc_ip_from_device(logger);
  if (!ip) {
    logger.debug("Failed to discover BMC address through IPMI", {{"err", ip.error()}});
    return {};
  }
  std::string host = reverse_lookup_or_ip(*ip);
  logger.debug("Discovered BMC through IPMI", {{"ip", *ip}, {"hostname", host}});
  return host;
}

RedfishCollector::RedfishCollector(std::unique_ptr<redfish::RedfishClient> client,
                                   std::vector<redfish::Chassis> chassis, std::string hostname,
                                   RedfishTimeouts timeouts, log::Logger logger)
    : client_(std::move(client)),
      chassis_(std::move(chassis)),
      hostname_(std::move(hostname)),
      timeouts_(std::move(timeouts)),
      logger_(std::move(logger)) {}

void RedfishCollector::reconnect(const redfish::Deadline& deadline) {
  if (auto st = client_->connect(deadline); !st) {
    logger_.error("Failed to create new redfish client", {{"err", st.error()}});
    return;
  }
  auto listing = client_->list_chassis(deadline);
  if (listing.error) {
    // The session is fine; only the listing is retried on the next scrape. An empty
    // partial result keeps the old list so that a transient failure does not silence
    // every chassis until the next Power failure.
    logger_.error("Failed to create new redfish client", {{"err", *listing.error}});
    if (!listing.chassis.empty()) chassis_ = std::move(listing.chassis);
    relist_ = true;
    return;
  }
  chassis_ = std::move(listing.chassis);
  relist_ = false;
}

Status RedfishCollector::update(MetricBatch& out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return Status::Ok();
  const auto deadline = redfish::Deadline::after(timeouts_.scrape);

  if (!client_->connected()) {
    reconnect(deadline);
  } else if (relist_) {
    auto listing = client_->list_chassis(deadline);
    if (listing.error) {
      logger_.error("Failed to fetch available chassis from Redfish", {{"err", *listing.error}});
      if (!listing.chassis.empty()) chassis_ = std::move(listing.chassis);
    } else {
      chassis_ = std::move(listing.chassis);
      relist_ = false;
    }
  }

  // A reconnect below replaces chassis_; this scrape finishes the list it started with
  // (but, unlike the reference, with the new session rather than the logged-out one).
  const std::vector<redfish::Chassis> chassis = chassis_;
  std::map<std::string, redfish::PowerSums> sums;
  std::vector<std::string> expired;
  for (const auto& c : chassis) {
    const std::string label = sanitize_metric_name(c.id);
    if (c.power.empty()) {
      // Nothing to hold any more; the hold (and its count of held readings) stays.
      if (auto it = state_.find(label); it != state_.end())
        it->second.last = it->second.last_good = std::nullopt;
      continue;
    }
    Result<redfish::Power> power =
        client_->connected() ? client_->get_power(c.power, deadline)
                             : Result<redfish::Power>(Error(ErrorKind::kIo, "not connected to Redfish"));
    if (!power && client_->connected()) {
      // Any failure (not only an expired session) starts a new session, as in the
      // reference; without a connection this already failed once this scrape.
      client_->logout(deadline);
      reconnect(deadline);
    }
    bool hold_expired = false;
    if (auto reading = reading_for(label, power, hold_expired)) sums[label] += *reading;
    if (hold_expired) expired.push_back(label);
  }

  for (const auto& [label, s] : sums) {
    // Zero means "not reported" on these BMCs.
    if (s.current > 0) out.add(current_desc(), {hostname_, label}, s.current);
    if (s.min > 0) out.add(min_desc(), {hostname_, label}, s.min);
    if (s.max > 0) out.add(max_desc(), {hostname_, label}, s.max);
    if (s.avg > 0) out.add(avg_desc(), {hostname_, label}, s.avg);
  }
  if (!expired.empty()) {
    std::string names;
    for (const std::string& label : expired) names += (names.empty() ? "" : ",") + label;
    return Error(ErrorKind::kIo, "no good Redfish power reading for longer than --" +
                                     std::string(kRedfishHoldFlag) + " for chassis " + names);
  }
  return Status::Ok();
}

std::optional<redfish::PowerSums> RedfishCollector::reading_for(const std::string& label,
                                                                const Result<redfish::Power>& power,
                                                                bool& expired) {
  ChassisState& st = state_.try_emplace(label, timeouts_).first->second;
  std::optional<redfish::PowerSums> reading;
  if (power) reading = redfish::sum_power(*power);
  if (reading && reading->current > 0) {
    if (const int bad = st.hold.good(); bad > 0) {
      logger_.info("Redfish power readings are good again", {{"chassis", label}, {"bad_readings", bad}});
    }
    st.last = st.last_good = reading;
    return reading;
  }
  if (!st.last_good) {
    // Never a good reading: the reference's rule.
    if (reading) {
      st.last = reading;
      return reading;
    }
    logger_.error("Failed to get power statistics from Redfish. Using last cached values",
                  {{"chassis", label}, {"err", power.error()}});
    return st.last;
  }
  const std::string why = reading ? std::string("the BMC reported 0 W") : power.error().message();
  const ReadingHold::Verdict verdict = st.hold.bad();
  if (!verdict.hold) {
    expired = true;
    logger_.debug("Redfish power reading failed or was 0 W past the hold",
                  {{"chassis", label}, {"reason", why}});
    return std::nullopt;
  }
  // A gap in node power is a gap in every job's power series: bridge it.
  logger_.write(verdict.level, "Redfish power reading failed or was 0 W; serving the last good reading",
                {{"chassis", label}, {"reason", why}, {"hold_seconds", st.hold.max_age().count() / 1000}},
                log::SourceLocation::current());
  return st.last_good;
}

void RedfishCollector::own_metrics(MetricBatch& out) const {
  uint64_t held = 0;
  for (const auto& [label, st] : state_) held += st.hold.held_total();
  out.add(held_readings_desc(), {"redfish"}, static_cast<double>(held));
}

void RedfishCollector::stop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return;
  stopped_ = true;
  client_->logout(redfish::Deadline::after(timeouts_.request));
}

Result<std::unique_ptr<RedfishCollector>> create_redfish_collector(const CollectorContext& ctx,
                                                                   std::shared_ptr<http::HttpClient> http,
                                                                   const BmcDiscovery& discover,
                                                                   RedfishTimeouts timeouts) {
  const log::Logger& logger = ctx.logger;
  auto hold = hold_duration_flag(ctx.flags, kRedfishHoldFlag);
  if (!hold) return hold.error();
  timeouts.hold = *hold;
  auto cfg = redfish::load_redfish_web_config(ctx.host.fs(), ctx.flags.get_string(kRedfishWebConfigFlag));
  if (!cfg) return cfg.error();
  for (const auto& w : cfg->warnings)
    logger.warn("Ignoring part of the Redfish web config", {{"file", cfg->source}, {"reason", w}});
  if (cfg->timeout) {
    timeouts.request = *cfg->timeout;
    // A scrape or the start-up must leave room for at least one request of the
    // configured length, or a slow BMC the operator allowed for could never answer.
    timeouts.scrape = std::max(timeouts.scrape, timeouts.request);
    timeouts.startup = std::max(timeouts.startup, timeouts.request);
  }

  const std::string node = ctx.empty_hostname_label ? std::string() : ctx.hostname;
  std::string host = cfg->hostname;
  if (host.empty() && discover) host = discover(logger);
  host = redfish::expand_hostname(host, node);
  auto url = redfish::build_bmc_url(cfg->protocol, host, cfg->port);
  // The host may come from discovery or the node name, but the file is what to fix.
  if (!url) return url.error().wrap(cfg->source);
  logger.debug("Redfish URL", {{"url", redfish::redact_url(*url)}});

  redfish::ClientOptions opts;
  opts.bmc_url = *url;
  opts.endpoint = cfg->external_url.empty() ? *url : cfg->external_url;
  if (!cfg->external_url.empty() && opts.endpoint.size() > 1 && opts.endpoint.back() == '/') {
    // Paths are appended to the endpoint, so a trailing slash would make every path
    // start with "//", which proxies and BMCs answer with a redirect or 404.
    while (opts.endpoint.size() > 1 && opts.endpoint.back() == '/') opts.endpoint.pop_back();
    logger.warn("Trailing slash removed from external_url",
                {{"external_url", redfish::redact_url(opts.endpoint)}});
  }
  opts.username = cfg->username;
  opts.password = cfg->password;
  opts.insecure_skip_verify = cfg->insecure_skip_verify;
  opts.use_session_token = cfg->use_session_token;
  opts.request_timeout = timeouts.request;

  auto client = std::make_unique<redfish::RedfishClient>(std::move(http), std::move(opts), logger);
  const auto deadline = redfish::Deadline::after(timeouts.startup);
  if (auto st = client->connect(deadline); !st) return st.error().wrap("failed to create a Redfish client");
  auto listing = client->list_chassis(deadline);
  if (listing.error) {
    // Do not leave a session behind on the BMC, whose session slots are few.
    client->logout(redfish::Deadline::after(timeouts.request));
    return listing.error->wrap("failed to fetch available chassis from Redfish");
  }
  logger.debug("Redfish chassis found", {{"count", listing.chassis.size()}});
  return std::make_unique<RedfishCollector>(std::move(client), std::move(listing.chassis), node, timeouts,
                                            logger);
}

void register_redfish_flags(FlagSet& flags) {
  flags.add_string(std::string(kRedfishWebConfigFlag), std::string(kConfigHelp));
  register_hold_duration_flag(flags, std::string(kRedfishHoldFlag));
}

Result<std::unique_ptr<Collector>> make_redfish_collector(const CollectorContext& ctx) {
  auto c = create_redfish_collector(ctx, std::shared_ptr<http::HttpClient>(http::make_http_client()),
                                    &discover_bmc_hostname);
  if (!c) return c.error();
  return std::unique_ptr<Collector>(std::move(*c));
}

}  // namespace ceems
