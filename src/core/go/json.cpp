#include "core/go/json.h"

#include <nlohmann/json.hpp>
#include <string>

#include "core/go/runes.h"

namespace ceems::go {
namespace {

struct TooDeep {};

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

template <class Json>
Result<Json> decode_json(std::string_view text) {
  // nlohmann skips a byte-order mark; Go's decoder rejects it.
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    return invalid("invalid character 'ï' looking for beginning of value");
  // Replacing everywhere is safe: outside strings a malformed byte is a syntax
  // error before and after, and U+FFFD is no JSON syntax.
  const std::string valid = replace_malformed_bytes(text);
  const typename Json::parser_callback_t limit_depth = [](int depth, typename Json::parse_event_t event,
                                                          Json&) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= kJsonMaxDepth) {
      throw TooDeep{};
    }
    return true;
  };
  try {
    return Json::parse(valid, limit_depth, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const typename Json::exception& e) {  // parse_error, and out_of_range for numbers beyond double
    return invalid(e.what());
  } catch (const TooDeep&) {
    return invalid("exceeded max depth");
  }
}

template Result<nlohmann::json> decode_json<nlohmann::json>(std::string_view);
template Result<nlohmann::ordered_json> decode_json<nlohmann::ordered_json>(std::string_view);

bool json_key_matches(std::string_view key, std::string_view field) {
  if (key == field) return true;
  size_t k = 0;
  for (const char f : field) {
    if (k >= key.size()) return false;
    char c = key[k];
    if (key.substr(k, 2) == "\xC5\xBF") {
      c = 'S';
      k += 2;
    } else if (key.substr(k, 3) == "\xE2\x84\xAA") {
      c = 'K';
      k += 3;
    } else {
      ++k;
    }
    if (ascii_upper(c) != ascii_upper(f)) return false;
  }
  return k == key.size();
}

}  // namespace ceems::go
