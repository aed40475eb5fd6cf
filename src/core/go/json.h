// Go's encoding/json as the original decodes API responses and Redfish documents:
// what it accepts beyond (or short of) RFC 8259 parsers, and how it matches object
// keys to struct fields. Documents are nlohmann::json (keys sorted) or
// nlohmann::ordered_json (document order, needed where several keys of one object
// can feed the same field).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "core/result.h"

namespace ceems::go {

// encoding/json refuses nesting deeper than this ("exceeded max depth"); the limit
// also keeps a hostile response from building millions of nested values.
inline constexpr int kJsonMaxDepth = 10000;

// Parses text as encoding/json would accept it: a byte-order mark is a syntax
// error, a malformed byte inside a string becomes U+FFFD (outside strings it stays
// a syntax error), nesting beyond kJsonMaxDepth fails. The error carries the
// parser's message. Instantiated for nlohmann::json and nlohmann::ordered_json.
template <class Json>
Result<Json> decode_json(std::string_view text);

// Whether object key `key` selects the struct field named `field` (ASCII): equal
// bytes, or equal under Go's case folding, where besides ASCII letters only
// U+017F (long s) and U+212A (Kelvin sign) fold onto ASCII ('S', 'K').
bool json_key_matches(std::string_view key, std::string_view field);

// The value that struct field `field` ends up with after decoding object obj: Go
// assigns every matching key in turn, so the last match in the object's order
// wins; null leaves the field as it was, so a null match is skipped. nullptr when
// no key matches with a non-null value.
template <class Json>
const Json* json_field(const Json& obj, std::string_view field) {
  const Json* found = nullptr;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!it.value().is_null() && json_key_matches(it.key(), field)) found = &it.value();
  }
  return found;
}

}  // namespace ceems::go
