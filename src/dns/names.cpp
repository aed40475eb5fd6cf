#include "dns/names.h"

#include "core/strings.h"

namespace ceems::dns {

std::string_view strip_trailing_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

std::string rooted(std::string_view name) {
  std::string out(name);
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

bool names_equal(std::string_view a, std::string_view b) { return equals_ignoring_case(a, b); }

std::string check_domain_name(std::string_view name) {
  if (name == ".") return "";  // the root
  const std::string_view body = strip_trailing_dot(name);
  if (body.empty()) return "empty name";
  if (body.size() > kMaxNameLength) {
    return "longer than " + std::to_string(kMaxNameLength) + " characters";
  }
  size_t label_start = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i == body.size() || body[i] == '.') {
      const size_t len = i - label_start;
      if (len == 0) return "empty label";
      if (len > kMaxLabelLength) {
        return "label " + quote_for_error(body.substr(label_start, len)) + " longer than 63 bytes";
      }
      label_start = i + 1;
      continue;
    }
    const char c = body[i];
    const bool letter_or_digit = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_ascii_digit(c);
    if (!letter_or_digit && c != '_' && c != '-') {
      return "invalid character " + quote_for_error(std::string_view(&body[i], 1));
    }
    if (c == '-' && i == label_start) return "label starts with '-'";
  }
  return "";
}

}  // namespace ceems::dns
