// Text as the Go original sees it: its unicode/utf8 rules for what a well-formed
// sequence is and what a malformed byte becomes. One implementation, so that the
// exposition, the logs, cgroup paths and API responses agree byte for byte.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ceems::go {

inline constexpr char32_t kReplacementRune = 0xFFFD;
inline constexpr std::string_view kReplacementBytes = "\xEF\xBF\xBD";

// Length of the well-formed sequence that starts at s[i] (1 for ASCII), or 0 when
// the bytes there are not one: overlong forms, surrogates, values above U+10FFFF
// and truncated sequences are malformed (utf8.DecodeRune). i < s.size().
size_t rune_length(std::string_view s, size_t i);

// The rune at s[i] and its length; a malformed byte is U+FFFD with length 1.
char32_t decode_rune(std::string_view s, size_t i, size_t& len);

// Appends the encoding of r (utf8.AppendRune): surrogates and values above
// U+10FFFF become U+FFFD.
void append_rune(std::string& out, char32_t r);

// Whether every byte belongs to a well-formed sequence (utf8.ValidString).
bool valid_string(std::string_view s);

// Every byte outside a well-formed sequence replaced by U+FFFD, one per byte:
// what encoding/json yields inside strings and strconv.Unquote for raw bytes
// (strings.ToValidUTF8, which merges runs, is a different rule).
std::string replace_malformed_bytes(std::string_view s);

}  // namespace ceems::go
