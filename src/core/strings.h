// Small pure string helpers shared by the parsers. None allocates more than its result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ceems {

inline bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s);
// Splits on runs of ASCII whitespace, dropping empty fields (like Go's strings.Fields).
std::vector<std::string_view> fields(std::string_view s);
// Splits on every occurrence of sep (empty fields kept).
std::vector<std::string_view> split(std::string_view s, char sep);
bool starts_with(std::string_view s, std::string_view prefix);
// Equal when ASCII letters are compared without case (HTTP header names, schemes).
bool equals_ignoring_case(std::string_view a, std::string_view b);
// ASCII letters lowered, every other byte kept (host names, URL schemes).
std::string lower_ascii(std::string_view s);
bool ends_with(std::string_view s, std::string_view suffix);

// Strict numeric parsing: the whole (trimmed) input must be consumed.
std::optional<uint64_t> parse_u64(std::string_view s);
std::optional<int64_t> parse_i64(std::string_view s);
std::optional<double> parse_double(std::string_view s);

// Replaces every run of characters outside [0-9A-Za-z_] (with adjacent underscores)
// by a single '_', the rule used for metric names built from zone names.
std::string sanitize_metric_name(std::string_view s);

// Quotes a value for error messages, cutting it to a readable length.
std::string quote_for_error(std::string_view s, size_t max_len = 80);

// The text as one line of printable ASCII for a log or an HTTP body: runs of whitespace become one
// space (none at the ends), other control and non-ASCII bytes '?', at most max_len
// characters of it followed by "..." when cut.
std::string printable_excerpt(std::string_view text, size_t max_len);

}  // namespace ceems
