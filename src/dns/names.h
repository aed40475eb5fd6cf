// Text rules for domain names shared by the parsers and the resolver.
#pragma once

#include <string>
#include <string_view>

namespace ceems::dns {

// The longest name in text form without its trailing dot (RFC 1035: 255 bytes on
// the wire, which is 253 characters of labels and dots).
inline constexpr size_t kMaxNameLength = 253;
inline constexpr size_t kMaxLabelLength = 63;

std::string_view strip_trailing_dot(std::string_view name);
// name with a trailing dot (the root stays ".").
std::string rooted(std::string_view name);
// Equal when ASCII letters are compared without case (DNS names, RFC 4343).
bool names_equal(std::string_view a, std::string_view b);

// Why name cannot be asked for, or empty when it can: labels of 1 to 63 bytes of
// letters, digits, '-' and '_' (no '-' first in a label), at most 253 characters
// without the optional trailing dot. Stricter than the wire format, like the C
// library and Go, so that a PTR answer or a typo cannot smuggle odd bytes into a
// URL or a log.
std::string check_domain_name(std::string_view name);
inline bool is_domain_name(std::string_view name) { return check_domain_name(name).empty(); }

}  // namespace ceems::dns
