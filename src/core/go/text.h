// Go's strings and bufio rules for splitting and trimming text, where the
// original's output depends on them.
#pragma once

#include <string_view>
#include <type_traits>

namespace ceems::go {

// unicode.IsSpace: ASCII white space plus U+0085, U+00A0, U+1680, U+2000-U+200A,
// U+2028, U+2029, U+202F, U+205F and U+3000.
bool is_space(char32_t r);

// strings.TrimSpace: leading and trailing runes for which is_space holds (a
// malformed byte is not a space).
std::string_view trim_space(std::string_view s);

// Calls fn(line) for each line as bufio.Scanner with ScanLines yields them: split
// on '\n', one trailing '\r' dropped, no final empty line after a trailing
// newline. fn may return false to stop; the result says whether every line was seen.
template <typename Fn>
bool for_each_line(std::string_view text, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if constexpr (std::is_void_v<std::invoke_result_t<Fn&, std::string_view>>) {
      fn(line);
    } else if (!fn(line)) {
      return false;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return true;
}

}  // namespace ceems::go
