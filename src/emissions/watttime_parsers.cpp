// Decoders of the WattTime API responses (declared in parsers.h), under the same Go
// encoding/json rules as the other providers' parsers.
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/go/json.h"
#include "core/strings.h"
#include "emissions/json_fields.h"
#include "emissions/parsers.h"

namespace ceems::emissions {
namespace {

using json_fields::decode_float;
using json_fields::decode_object;
using json_fields::decode_string;
using json_fields::Json;
using json_fields::type_error;

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!is_ascii_digit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Go's time.Time.UnmarshalJSON layout: "2006-01-02T15:04:05[.fraction](Z|±hh:mm)".
bool is_rfc3339(std::string_view s) {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (s.size() < 20 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || s[10] != 'T' || !digits(s, 11, 2, hour) || s[13] != ':' ||
      !digits(s, 14, 2, minute) || s[16] != ':' || !digits(s, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 59) {
    return false;
  }
  size_t p = 19;
  if (s[p] == '.') {
    const size_t start = ++p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    if (p == start) return false;
  }
  if (p + 1 == s.size() && s[p] == 'Z') return true;
  int zone_hour = 0;
  int zone_minute = 0;
  return p + 6 == s.size() && (s[p] == '+' || s[p] == '-') && digits(s, p + 1, 2, zone_hour) &&
         s[p + 3] == ':' && digits(s, p + 4, 2, zone_minute) && zone_hour < 24 && zone_minute < 60;
}

// A time.Time field: null keeps it unset, anything but an RFC 3339 string fails.
Status decode_time(const Json& v, std::string_view field) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_string())
    return invalid("field " + std::string(field) + ": Time.UnmarshalJSON: input is not a JSON string");
  const auto& s = v.get_ref<const std::string&>();
  if (!is_rfc3339(s))
    return invalid("field " + std::string(field) + ": parsing time \"" + s + "\" as RFC 3339");
  return Status::Ok();
}

Status decode_data_point(const Json& v, double& value) {
  return decode_object(v, "wtSignalDataPoint", [&](const std::string& key, const Json& member) {
    if (go::json_key_matches(key, "point_time")) return decode_time(member, "point_time");
    if (go::json_key_matches(key, "value")) return decode_float(member, "value", value);
    if (go::json_key_matches(key, "last_updated")) return decode_time(member, "last_updated");
    return Status::Ok();
  });
}

Status decode_meta(const Json& v, WattTimeSignal& out) {
  return decode_object(v, "wtSignalMeta", [&](const std::string& key, const Json& member) {
    if (go::json_key_matches(key, "units")) return decode_string(member, "units", out.units);
    if (!go::json_key_matches(key, "warnings")) return Status::Ok();
    out.warnings.clear();
    if (member.is_null()) return Status::Ok();
    if (!member.is_array()) return Status(type_error(member, "warnings", "[]wtWarning"));
    for (const Json& warning : member) {
      std::string message;
      Status st = decode_object(warning, "wtWarning", [&](const std::string& k, const Json& m) {
        return go::json_key_matches(k, "message") ? decode_string(m, "message", message) : Status::Ok();
      });
      if (!st) return st;
      out.warnings.push_back(std::move(message));
    }
    return Status::Ok();
  });
}

std::string utc_rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buf, n};
}

}  // namespace

Result<std::string> parse_wt_login(std::string_view body) {
  auto doc = go::decode_json<Json>(body);
  if (!doc) return doc.error();
  std::string token;
  Status st = decode_object(*doc, "wtTokenResponse", [&](const std::string& key, const Json& v) {
    return go::json_key_matches(key, "token") ? decode_string(v, "token", token) : Status::Ok();
  });
  if (!st) return st.error();
  if (token.empty()) return no_data("no token in Watt Time login response");
  if (auto at = first_bad_byte(token, is_space_or_control_byte)) {
    return invalid("malformed token in Watt Time login response: " + *at +
                   " is white space or a control character");
  }
  return token;
}

Result<WattTimeSignal> parse_wt_signal(std::string_view body) {
  auto doc = go::decode_json<Json>(body);
  if (!doc) return doc.error();
  WattTimeSignal out;
  Status st = decode_object(*doc, "wtSignalDataResponse", [&](const std::string& key, const Json& v) {
    if (go::json_key_matches(key, "meta")) return decode_meta(v, out);
    if (!go::json_key_matches(key, "data")) return Status::Ok();
    out.latest.reset();
    if (v.is_null()) return Status::Ok();
    if (!v.is_array()) return Status(type_error(v, "data", "[]wtSignalDataPoint"));
    for (const Json& point : v) {
      double value = 0;
      if (Status s = decode_data_point(point, value); !s) return s;
      out.latest = value;
    }
    return Status::Ok();
  });
  if (!st) return st.error();
  return out;
}

Result<EmissionFactors> wt_factors(const WattTimeSignal& signal, const std::string& region) {
  if (!signal.latest) {
    std::string warnings;
    for (const std::string& w : signal.warnings) warnings += (warnings.empty() ? "" : ",") + w;
    return no_data("missing data in Watt Time response. warnings: " + warnings);
  }
  if (!signal.units.empty() && signal.units != "lbs_co2_per_mwh") {
    return invalid("unexpected units in Watt Time response: " + signal.units + " (expected lbs_co2_per_mwh)");
  }
  return EmissionFactors{{region, {region, *signal.latest * kLbPerMWhInGPerKWh}}};
}

std::string wt_historical_query(std::string_view region, std::chrono::system_clock::time_point now) {
  // Already in key order, as url.Values.Encode sorts them.
  const std::pair<std::string_view, std::string> params[] = {
      {"end", utc_rfc3339(now)},
      {"region", std::string(region)},
      {"signal_type", "co2_moer"},
      {"start", utc_rfc3339(now - std::chrono::minutes(15))},
  };
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += query_escape(key);
    out += '=';
    out += query_escape(value);
  }
  return out;
}

}  // namespace ceems::emissions
