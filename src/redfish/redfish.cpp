#include "redfish/redfish.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/go/json.h"
#include "core/strings.h"
#include "redfish/config.h"

namespace ceems::redfish {
namespace {

// Document order matters for duplicate and case-folded keys (the last one wins).
using Json = nlohmann::ordered_json;

// Bounds for a hostile or broken service: how many collection pages are followed and
// how much of an error body ends up in a message.
constexpr size_t kMaxCollectionPages = 1000;
constexpr size_t kMaxBodyInError = 256;

// Values at or above this magnitude round to infinity as a 32-bit float.
constexpr double kFloatOverflow = 0x1.ffffffp+127;

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "a number";
    default:
      return "null";
  }
}

// Field access with the reference decoder's rules; errors name the document and the
// field path ("Power: PowerControl[1].PowerMetrics.MinConsumedWatts: ...").
class Doc {
 public:
  explicit Doc(std::string name) : name_(std::move(name)) {}

  Result<Json> parse(std::string_view text) const {
    auto doc = go::decode_json<Json>(text);
    if (!doc) return invalid(name_ + ": malformed JSON: " + doc.error().message());
    return doc;
  }

  Error type_error(const std::string& field, const char* want, const Json& got) const {
    return invalid(name_ + ": " + field + ": expected " + want + ", got " + type_name(got));
  }

  // An object value (nullptr when absent).
  Result<const Json*> object(const Json& parent, std::string_view key, const std::string& field) const {
    const Json* v = go::json_field(parent, key);
    if (v != nullptr && !v->is_object()) return type_error(field, "an object", *v);
    return v;
  }

  Status string(const Json& parent, std::string_view key, const std::string& field, std::string& out) const {
    const Json* v = go::json_field(parent, key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return type_error(field, "a string", *v);
    out = v->get<std::string>();
    return Status::Ok();
  }

  // A link object {"@odata.id": "..."}; absent or null leaves out empty.
  Status link(const Json& parent, std::string_view key, const std::string& field, std::string& out) const {
    const Json* v = go::json_field(parent, key);
    if (v == nullptr) return Status::Ok();
    return link_value(*v, field, out);
  }

  Status link_value(const Json& v, const std::string& field, std::string& out) const {
    if (v.is_null()) return Status::Ok();
    if (!v.is_object()) return type_error(field, "a link object", v);
    return string(v, "@odata.id", field + ".@odata.id", out);
  }

  Status links(const Json& parent, std::string_view key, const std::string& field,
               std::vector<std::string>& out) const {
    const Json* v = go::json_field(parent, key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_array()) return type_error(field, "an array", *v);
    for (size_t i = 0; i < v->size(); ++i) {
      std::string link;
      if (auto st = link_value((*v)[i], field + "[" + std::to_string(i) + "]", link); !st) return st;
      out.push_back(std::move(link));
    }
    return Status::Ok();
  }

  Status float32(const Json& parent, std::string_view key, const std::string& field, double& out) const {
    const Json* v = go::json_field(parent, key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number()) return type_error(field, "a number", *v);
    const double d = v->get<double>();
    if (!(std::fabs(d) < kFloatOverflow))
      return invalid(name_ + ": " + field + ": number out of float range");
    out = static_cast<double>(static_cast<float>(d));
    return Status::Ok();
  }

  // The top level must be an object; a JSON null decodes to an empty document.
  Result<const Json*> top(const Json& doc) const {
    if (doc.is_null()) return static_cast<const Json*>(nullptr);
    if (!doc.is_object()) return invalid(name_ + ": expected an object, got " + type_name(doc));
    return &doc;
  }

 private:
  std::string name_;
};

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                       static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                       static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool accepted_status(int status) { return status == 200 || status == 201 || status == 202 || status == 204; }

ErrorKind kind_for_status(int status) {
  if (status == 401 || status == 403) return ErrorKind::kPermissionDenied;
  if (status == 404) return ErrorKind::kNotFound;
  return ErrorKind::kIo;
}

}  // namespace

PowerSums& PowerSums::operator+=(const PowerSums& o) {
  current += o.current;
  min += o.min;
  max += o.max;
  avg += o.avg;
  return *this;
}

PowerSums sum_power(const Power& power) {
  PowerSums s;
  for (const auto& pc : power.power_control) {
    s.current += pc.consumed_watts;
    s.min += pc.min_watts;
    s.max += pc.max_watts;
    s.avg += pc.avg_watts;
  }
  return s;
}

Result<ServiceRoot> parse_service_root(std::string_view json) {
  Doc d("service root");
  auto doc = d.parse(json);
  if (!doc) return doc.error();
  auto top = d.top(*doc);
  if (!top) return top.error();
  ServiceRoot root;
  if (*top == nullptr) return root;
  if (auto st = d.link(**top, "Chassis", "Chassis", root.chassis); !st) return st.error();
  auto links = d.object(**top, "Links", "Links");
  if (!links) return links.error();
  if (*links != nullptr) {
    if (auto st = d.link(**links, "Sessions", "Links.Sessions", root.sessions); !st) return st.error();
  }
  return root;
}

Result<Collection> parse_collection(std::string_view json) {
  Doc d("collection");
  auto doc = d.parse(json);
  if (!doc) return doc.error();
  auto top = d.top(*doc);
  if (!top) return top.error();
  Collection c;
  if (*top == nullptr) return c;
  std::vector<std::string> link_members;
  auto links = d.object(**top, "Links", "Links");
  if (!links) return links.error();
  if (*links != nullptr) {
    if (auto st = d.links(**links, "Members", "Links.Members", link_members); !st) return st.error();
  }
  if (auto st = d.links(**top, "Members", "Members", c.members); !st) return st.error();
  if (!link_members.empty()) c.members = std::move(link_members);
  if (auto st = d.string(**top, "Members@odata.nextLink", "Members@odata.nextLink", c.next_link); !st) {
    return st.error();
  }
  return c;
}

Result<Chassis> parse_chassis(std::string_view json) {
  Doc d("chassis");
  auto doc = d.parse(json);
  if (!doc) return doc.error();
  auto top = d.top(*doc);
  if (!top) return top.error();
  Chassis c;
  if (*top == nullptr) return c;
  if (auto st = d.string(**top, "Id", "Id", c.id); !st) return st.error();
  if (auto st = d.link(**top, "Power", "Power", c.power); !st) return st.error();
  return c;
}

Result<Power> parse_power(std::string_view json) {
  Doc d("Power");
  auto doc = d.parse(json);
  if (!doc) return doc.error();
  auto top = d.top(*doc);
  if (!top) return top.error();
  Power p;
  if (*top == nullptr) return p;
  const Json* list = go::json_field(**top, "PowerControl");
  if (list == nullptr) return p;
  if (!list->is_array()) return d.type_error("PowerControl", "an array", *list);
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& entry = (*list)[i];
    const std::string field = "PowerControl[" + std::to_string(i) + "]";
    PowerControl pc;
    if (!entry.is_null()) {
      if (!entry.is_object()) return d.type_error(field, "an object", entry);
      if (auto st = d.float32(entry, "PowerConsumedWatts", field + ".PowerConsumedWatts", pc.consumed_watts);
          !st) {
        return st.error();
      }
      auto metrics = d.object(entry, "PowerMetrics", field + ".PowerMetrics");
      if (!metrics) return metrics.error();
      if (*metrics != nullptr) {
        const Json& m = **metrics;
        const std::string mf = field + ".PowerMetrics.";
        if (auto st = d.float32(m, "MinConsumedWatts", mf + "MinConsumedWatts", pc.min_watts); !st) {
          return st.error();
        }
        if (auto st = d.float32(m, "MaxConsumedWatts", mf + "MaxConsumedWatts", pc.max_watts); !st) {
          return st.error();
        }
        if (auto st = d.float32(m, "AverageConsumedWatts", mf + "AverageConsumedWatts", pc.avg_watts); !st) {
          return st.error();
        }
      }
    }
    p.power_control.push_back(pc);
  }
  return p;
}

std::string session_path(std::string_view location) {
  std::string_view rest = location;
  const size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  size_t authority = std::string_view::npos;
  const size_t sep = rest.find("://");
  if (sep != std::string_view::npos && sep > 0 &&
      rest.substr(0, sep).find_first_of("/?") == std::string_view::npos) {
    authority = sep + 3;
  } else if (starts_with(rest, "//")) {
    authority = 2;
  }
  if (authority == std::string_view::npos) return std::string(rest);
  const size_t path = rest.find_first_of("/?", authority);
  if (path == std::string_view::npos) return {};
  return std::string(rest.substr(path));
}

std::chrono::milliseconds Deadline::remaining() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at_ - Clock::now());
}

RedfishClient::RedfishClient(std::shared_ptr<http::HttpClient> http, ClientOptions options,
                             log::Logger logger)
    : http_(std::move(http)),
      options_(std::move(options)),
      base_(dialable_url(options_.endpoint)),
      shown_base_(redact_url(options_.endpoint)),
      via_proxy_(options_.endpoint != options_.bmc_url),
      logger_(std::move(logger)) {}

Result<http::ClientResponse> RedfishClient::send(const std::string& method, const std::string& path,
                                                 std::string body, const Deadline& deadline,
                                                 bool authenticated) {
  const std::string shown = method + " " + shown_base_ + path;
  const auto left = deadline.remaining();
  if (left.count() <= 0)
    return Error(ErrorKind::kTimeout, shown + ": time budget for Redfish requests used up");
  http::ClientRequest req;
  req.method = method;
  req.url = base_ + path;
  req.body = std::move(body);
  req.timeout = std::min(options_.request_timeout, left);
  req.connect_timeout = req.timeout;
  req.insecure_skip_verify = options_.insecure_skip_verify;
  req.follow_redirects = false;
  req.headers.emplace("User-Agent", std::string(kUserAgent));
  req.headers.emplace("Accept", "application/json");
  req.headers.emplace("Content-Type", "application/json");
  req.headers.emplace(std::string(kRedfishUrlHeader), options_.bmc_url);
  if (authenticated) {
    if (!token_.empty()) {
      req.headers.emplace(std::string(kAuthTokenHeader), token_);
    } else if (!options_.use_session_token && !options_.username.empty() && !options_.password.empty()) {
      req.headers.emplace("Authorization", "Basic " + base64(options_.username + ":" + options_.password));
    }
  }
  auto resp = http_->send(req);
  if (!resp) {
    // The transport's message names the raw URL, which may hold proxy user-info.
    std::string msg = resp.error().message();
    const std::string raw = method + " " + req.url;
    if (starts_with(msg, raw)) msg = shown + msg.substr(raw.size());
    return Error(resp.error().kind(), msg);
  }
  if (resp->status == 502 && via_proxy_) {
    // redfish_proxy says why it could not reach the BMC (TLS, refused, timeout) in the
    // body; that reason is the only clue on this side.
    const std::string reason = printable_excerpt(resp->body, kMaxBodyInError);
    return Error(ErrorKind::kIo, shown + ": HTTP 502 from the Redfish proxy: " +
                                     (reason.empty() ? std::string("no reason given (see the proxy's log)")
                                                     : quote_for_error(reason, reason.size())));
  }
  if (!accepted_status(resp->status)) {
    return Error(kind_for_status(resp->status), shown + ": HTTP " + std::to_string(resp->status) + ": " +
                                                    quote_for_error(resp->body, kMaxBodyInError));
  }
  return resp;
}

Result<std::string> RedfishClient::get(const std::string& path, const Deadline& deadline) {
  auto resp = send("GET", path, {}, deadline);
  if (!resp) return resp.error();
  return std::move(resp->body);
}

Status RedfishClient::connect(const Deadline& deadline) {
  connected_ = false;
  token_.clear();
  session_uri_.clear();
  if (!starts_with(options_.endpoint, "http")) {
    return invalid("endpoint " + quote_for_error(shown_base_) + " must start with http:// or https://");
  }
  auto body = get("/redfish/v1/", deadline);
  if (!body) return body.error();
  auto root = parse_service_root(*body);
  if (!root) return root.error();
  root_ = std::move(*root);
  if (!options_.username.empty() && options_.use_session_token) {
    if (auto st = create_session(deadline); !st) return st;
  }
  connected_ = true;
  return Status::Ok();
}

Status RedfishClient::create_session(const Deadline& deadline) {
  if (root_.sessions.empty())
    return invalid("cannot create a session: the service root has no Links.Sessions");
  const std::string body = Json{{"UserName", options_.username}, {"Password", options_.password}}.dump();
  auto resp = send("POST", root_.sessions, body, deadline, /*authenticated=*/false);
  if (!resp) return resp.error().wrap("failed to create a Redfish session");
  token_ = resp->header(std::string(kAuthTokenHeader));
  session_uri_ = session_path(resp->header("Location"));
  if (token_.empty()) logger_.warn("Redfish session created without an X-Auth-Token header");
  logger_.debug("Redfish session created", {{"session", session_uri_}});
  return Status::Ok();
}

ChassisListing RedfishClient::list_chassis(const Deadline& deadline) {
  ChassisListing out;
  if (root_.chassis.empty()) return out;
  std::vector<std::string> members;
  std::set<std::string> visited;
  std::string next = root_.chassis;
  while (!next.empty() && visited.size() < kMaxCollectionPages) {
    if (!visited.insert(next).second) break;  // a nextLink cycle
    auto body = get(next, deadline);
    if (!body) {
      out.error = body.error();
      return out;
    }
    auto coll = parse_collection(*body);
    if (!coll) {
      out.error = coll.error().wrap(next);
      return out;
    }
    for (auto& m : coll->members) {
      if (!m.empty()) members.push_back(std::move(m));
    }
    next = std::move(coll->next_link);
  }
  std::string failures;
  ErrorKind kind = ErrorKind::kIo;
  for (const auto& m : members) {
    auto body = get(m, deadline);
    Result<Chassis> c = body ? parse_chassis(*body) : Result<Chassis>(body.error());
    if (c) {
      out.chassis.push_back(std::move(*c));
      continue;
    }
    kind = c.error().kind();
    if (!failures.empty()) failures += "; ";
    failures += body ? m + ": " + c.error().message() : c.error().message();
  }
  if (!failures.empty()) out.error = Error(kind, "failed to retrieve some chassis: " + failures);
  return out;
}

Result<Power> RedfishClient::get_power(const std::string& path, const Deadline& deadline) {
  auto body = get(path, deadline);
  if (!body) return body.error();
  auto power = parse_power(*body);
  if (!power) return power.error().wrap(path);
  return power;
}

void RedfishClient::logout(const Deadline& deadline) {
  if (!session_uri_.empty()) {
    auto resp = send("DELETE", session_uri_, {}, deadline);
    if (!resp) logger_.debug("Failed to delete Redfish session", {{"err", resp.error()}});
  }
  token_.clear();
  session_uri_.clear();
  connected_ = false;
}

}  // namespace ceems::redfish
