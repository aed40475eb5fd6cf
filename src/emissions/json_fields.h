// Go encoding/json struct-field decoding shared by the emission-factor parsers
// (parsers.cpp, watttime_parsers.cpp): type errors worded like Go's, null leaving the
// target untouched. Internal to the emissions module.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems::emissions::json_fields {

// Objects come back sorted by key, not in document order: of several keys folding to the
// same struct field Go keeps the last in the document, this the last in byte order. No
// real response has such keys; ordered_json would deep-copy members as objects grow.
using Json = nlohmann::json;

inline std::string json_kind(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::null:
      return "null";
    default:
      return "number";
  }
}

inline Error type_error(const Json& v, std::string_view field, std::string_view go_type) {
  std::string what = json_kind(v);
  if (v.is_number()) what += " " + v.dump();
  return invalid("json: cannot unmarshal " + what + " into field " + std::string(field) + " of type " +
                 std::string(go_type));
}

// The decoders below leave the target untouched on null, like Go.
inline Status decode_string(const Json& v, std::string_view field, std::string& out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_string()) return type_error(v, field, "string");
  out = v.get<std::string>();
  return Status::Ok();
}

inline Status decode_int(const Json& v, std::string_view field, int64_t& out) {
  if (v.is_null()) return Status::Ok();
  // 1.0 and 1e2 are numbers but not integers for strconv.ParseInt.
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return type_error(v, field, "int");
    out = static_cast<int64_t>(u);
    return Status::Ok();
  }
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return Status::Ok();
  }
  return type_error(v, field, "int");
}

inline Status decode_float(const Json& v, std::string_view field, double& out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_number()) return type_error(v, field, "float64");
  out = v.get<double>();
  return Status::Ok();
}

inline Status decode_bool(const Json& v, std::string_view field, bool& out) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_boolean()) return type_error(v, field, "bool");
  out = v.get<bool>();
  return Status::Ok();
}

// Shared shape of the struct decoders: null keeps the zero value, anything but an
// object is a type error, each member is offered to `member` (unknown keys ignored).
template <typename F>
Status decode_object(const Json& v, std::string_view type_name, F&& member) {
  if (v.is_null()) return Status::Ok();
  if (!v.is_object()) return type_error(v, "(top level)", type_name);
  for (const auto& [key, value] : v.items()) {
    if (Status st = member(key, value); !st) return st;
  }
  return Status::Ok();
}

}  // namespace ceems::emissions::json_fields
