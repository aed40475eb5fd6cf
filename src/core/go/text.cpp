#include "core/go/text.h"

#include "core/go/runes.h"

namespace ceems::go {

bool is_space(char32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

std::string_view trim_space(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t len = 0;
    const char32_t r = decode_rune(s, begin, len);
    // A malformed byte decodes as U+FFFD, which is not a space.
    if (!is_space(r)) break;
    begin += len;
  }
  size_t end = s.size();
  while (end > begin) {
    // Step back to the start of the last rune (at most three continuation bytes).
    size_t start = end - 1;
    while (start > begin && end - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    size_t len = 0;
    const char32_t r = decode_rune(s, start, len);
    // An incomplete sequence ends in a malformed byte, which is not a space.
    if (start + len != end || !is_space(r)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

}  // namespace ceems::go
