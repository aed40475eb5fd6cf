#include "emissions/parsers.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "core/go/json.h"
#include "core/go/strconv.h"
#include "core/go/text.h"
#include "core/strings.h"
#include "emissions/json_fields.h"

namespace ceems::emissions {
namespace {

using json_fields::decode_bool;
using json_fields::decode_int;
using json_fields::decode_object;
using json_fields::decode_string;
using json_fields::Json;
using json_fields::type_error;

struct RteRecord {
  int64_t taux_co2 = 0;
  std::string date_heure;
};

Status decode_rte_record(const Json& v, RteRecord& out) {
  return decode_object(v, "nationalRealTimeFieldsV2", [&](const std::string& key, const Json& value) {
    if (go::json_key_matches(key, "taux_co2")) return decode_int(value, "taux_co2", out.taux_co2);
    if (go::json_key_matches(key, "date_heure")) return decode_string(value, "date_heure", out.date_heure);
    return Status::Ok();
  });
}

// encoding/csv with its default settings (comma separator, no comments, strict quotes,
// every record as wide as the first).
class CsvReader {
 public:
  explicit CsvReader(std::string_view in) : in_(in) {}

  // An empty optional at end of input.
  Result<std::optional<std::vector<std::string>>> read_record() {
    std::string line;
    bool eof = false;
    for (;;) {
      eof = !read_line(line);
      if (!eof && (line.empty() || line == "\n")) continue;  // blank lines are skipped
      break;
    }
    if (eof) return std::optional<std::vector<std::string>>{};
    const size_t record_line = line_number_;
    std::vector<std::string> record;
    size_t p = 0;
    for (;;) {
      if (p == line.size() || line[p] != '"') {
        const size_t comma = line.find(',', p);
        const size_t end = comma != std::string::npos ? comma : line.size() - newline_length(line);
        std::string field = line.substr(p, end - p);
        if (const size_t quote = field.find('"'); quote != std::string::npos) {
          return error(record_line, p + quote + 1, "bare \" in non-quoted-field");
        }
        record.push_back(std::move(field));
        if (comma == std::string::npos) break;
        p = comma + 1;
        continue;
      }
      // Quoted field, possibly spanning lines.
      ++p;
      std::string field;
      bool next_field = false;
      for (;;) {
        const size_t quote = line.find('"', p);
        if (quote != std::string::npos) {
          field.append(line, p, quote - p);
          p = quote + 1;
          if (p < line.size() && line[p] == '"') {
            field += '"';
            ++p;
          } else if (p < line.size() && line[p] == ',') {
            ++p;
            next_field = true;
            break;
          } else if (line.size() - p == newline_length(line)) {
            break;
          } else {
            return error(record_line, p, "extraneous or missing \" in quoted-field");
          }
        } else if (p < line.size()) {
          field.append(line, p);
          if (!read_line(line)) line.clear();
          p = 0;
        } else {
          return error(record_line, p + 1, "extraneous or missing \" in quoted-field");
        }
      }
      record.push_back(std::move(field));
      if (!next_field) break;
    }
    if (fields_per_record_ == 0) {
      fields_per_record_ = record.size();
    } else if (record.size() != fields_per_record_) {
      return invalid("record on line " + std::to_string(record_line) + ": wrong number of fields");
    }
    return std::optional<std::vector<std::string>>(std::move(record));
  }

 private:
  static size_t newline_length(const std::string& line) { return !line.empty() && line.back() == '\n'; }

  static Error error(size_t line, size_t column, const std::string& what) {
    return invalid("parse error on line " + std::to_string(line) + ", column " + std::to_string(column) +
                   ": " + what);
  }

  // One line including its '\n', "\r\n" normalised to "\n"; false at end of input.
  bool read_line(std::string& line) {
    if (pos_ >= in_.size()) return false;
    const size_t nl = in_.find('\n', pos_);
    const size_t end = nl == std::string_view::npos ? in_.size() : nl + 1;
    line.assign(in_.substr(pos_, end - pos_));
    pos_ = end;
    ++line_number_;
    if (nl == std::string_view::npos && line.back() == '\r') line.pop_back();
    if (line.size() >= 2 && line[line.size() - 2] == '\r' && line.back() == '\n')
      line.erase(line.size() - 2, 1);
    return true;
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t line_number_ = 0;
  size_t fields_per_record_ = 0;
};

}  // namespace

std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string rte_query(std::string_view local_date) {
  // Already in key order, as url.Values.Encode sorts them.
  const std::pair<std::string_view, std::string> params[] = {
      {"include_app_metas", "false"},
      {"include_links", "false"},
      {"limit", "1"},
      {"offset", "0"},
      {"order_by", "date_heure desc"},
      {"select", "taux_co2,date_heure"},
      {"timezone", "Europe/Paris"},
      {"where", "date_heure in [date'" + std::string(local_date) + "' TO now()] and taux_co2 is not null"},
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

Result<std::map<std::string, std::string>> parse_emaps_zones(std::string_view body) {
  auto doc = go::decode_json<Json>(body);
  if (!doc) return doc.error();
  std::map<std::string, std::string> zones;
  if (doc->is_null()) return zones;
  if (!doc->is_object()) return type_error(*doc, "(top level)", "map[string]map[string]string");
  for (const auto& [zone, details] : doc->items()) {
    std::map<std::string, std::string> names;
    if (details.is_object()) {
      for (const auto& [key, value] : details.items()) {
        std::string name;
        if (Status st = decode_string(value, zone + "." + key, name); !st) return st.error();
        names[key] = std::move(name);
      }
    } else if (!details.is_null()) {
      return type_error(details, zone, "map[string]string");
    }
    std::string compound;
    for (const char* part : {"countryName", "zoneName"}) {
      if (auto it = names.find(part); it != names.end()) compound += " " + it->second;
    }
    zones[zone] = std::string(go::trim_space(compound));
  }
  return zones;
}

Result<EmapsCarbonIntensity> parse_emaps_carbon_intensity(std::string_view body) {
  auto doc = go::decode_json<Json>(body);
  if (!doc) return doc.error();
  EmapsCarbonIntensity out;
  Status st = decode_object(*doc, "eMapsCarbonIntensityResponse", [&](const std::string& key, const Json& v) {
    if (go::json_key_matches(key, "zone")) return decode_string(v, "zone", out.zone);
    if (go::json_key_matches(key, "carbonIntensity"))
      return decode_int(v, "carbonIntensity", out.carbon_intensity);
    if (go::json_key_matches(key, "datetime")) return decode_string(v, "datetime", out.datetime);
    if (go::json_key_matches(key, "updatedAt")) return decode_string(v, "updatedAt", out.updated_at);
    if (go::json_key_matches(key, "emissionFactorType")) {
      return decode_string(v, "emissionFactorType", out.emission_factor_type);
    }
    if (go::json_key_matches(key, "isEstimated")) return decode_bool(v, "isEstimated", out.is_estimated);
    if (go::json_key_matches(key, "estimationMethod"))
      return decode_string(v, "estimationMethod", out.estimation_method);
    return Status::Ok();
  });
  if (!st) return st.error();
  return out;
}

Result<EmissionFactors> parse_rte_response(std::string_view body) {
  auto doc = go::decode_json<Json>(body);
  if (!doc) return doc.error();
  int64_t total_count = 0;
  std::vector<RteRecord> results;
  Status st = decode_object(*doc, "nationalRealTimeResponseV2", [&](const std::string& key, const Json& v) {
    if (go::json_key_matches(key, "total_count")) return decode_int(v, "total_count", total_count);
    if (!go::json_key_matches(key, "results")) return Status::Ok();
    if (v.is_null()) {
      results.clear();
      return Status::Ok();
    }
    if (!v.is_array()) return Status(type_error(v, "results", "[]nationalRealTimeFieldsV2"));
    results.assign(v.size(), RteRecord{});
    for (size_t i = 0; i < v.size(); ++i) {
      if (Status s = decode_rte_record(v[i], results[i]); !s) return s;
    }
    return Status::Ok();
  });
  if (!st) return st.error();
  if (results.empty()) return no_data("empty response received from RTE server: []");
  return EmissionFactors{{"FR", {"France", static_cast<double>(results.front().taux_co2)}}};
}

Result<std::map<std::string, std::string>> parse_iso3166_alpha3_to_alpha2(std::string_view body) {
  auto doc = go::decode_json<Json>(body);
  if (!doc) return doc.error();
  std::map<std::string, std::string> codes;
  Status st = decode_object(*doc, "CountryCode", [&](const std::string& key, const Json& list) {
    if (!go::json_key_matches(key, "3166-1") || list.is_null()) return Status::Ok();
    if (!list.is_array()) return Status(type_error(list, "3166-1", "[]CountryCodeFields"));
    for (const Json& entry : list) {
      std::string alpha2;
      std::string alpha3;
      std::string name;
      std::string numeric;
      Status s = decode_object(entry, "CountryCodeFields", [&](const std::string& k, const Json& v) {
        if (go::json_key_matches(k, "alpha_2")) return decode_string(v, "alpha_2", alpha2);
        if (go::json_key_matches(k, "alpha_3")) return decode_string(v, "alpha_3", alpha3);
        if (go::json_key_matches(k, "name")) return decode_string(v, "name", name);
        if (go::json_key_matches(k, "numeric")) return decode_string(v, "numeric", numeric);
        return Status::Ok();
      });
      if (!s) return s;
      codes[alpha3] = alpha2;
    }
    return Status::Ok();
  });
  if (!st) return st.error();
  return codes;
}

Result<EmissionFactors> parse_owid_csv(std::string_view csv,
                                       const std::map<std::string, std::string>& alpha3_to_alpha2) {
  CsvReader reader(csv);
  EmissionFactors factors;
  for (;;) {
    auto record = reader.read_record();
    if (!record) return record.error().wrap("unable to parse file as OWID CSV file");
    if (!*record) break;
    const std::vector<std::string>& fields = **record;
    if (fields.size() < 4 || fields[1].empty()) continue;
    auto code = alpha3_to_alpha2.find(fields[1]);
    if (code == alpha3_to_alpha2.end()) continue;
    // Later rows (more recent years) overwrite earlier ones; an unparsable value keeps
    // the previous year's figure.
    if (auto value = go::parse_float(fields[3])) factors[code->second] = {fields[0], *value};
  }
  return factors;
}

}  // namespace ceems::emissions
