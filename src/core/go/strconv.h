// Go's strconv as the original uses it: the numbers it accepts and how it prints
// them, and the escapes of a Go string literal. Every module parses and formats
// through these, so that an input the original rejects is rejected here too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems::go {

// strconv.ParseUint(s, 10, 64): decimal digits only (no sign, no spaces), no overflow.
std::optional<uint64_t> parse_uint(std::string_view s);

// strconv.ParseInt(s, 10, bits): an optional sign, decimal digits, within a signed
// integer of `bits` bits (64 for strconv.Atoi on 64-bit platforms).
std::optional<int64_t> parse_int(std::string_view s, int bits = 64);

// strconv.ParseFloat(s, 64): no surrounding spaces, an optional sign, a decimal or
// hexadecimal (with a mandatory p exponent) mantissa, inf/infinity/nan in any case.
// Underflow rounds to zero; overflow is an error.
std::optional<double> parse_float(std::string_view s);

// strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that read back as v,
// in scientific notation when the decimal exponent is < -4 or >= 6 ("1e+06"),
// "+Inf", "-Inf" and "NaN" for the special values. Writes at most 32 bytes to
// buf; returns the length.
size_t format_float(double v, char* buf);

// The escapes of a double-quoted Go string literal applied to its body (what
// strconv.Unquote does between the quotes): \a \b \f \n \r \t \v \\ \" \xHH
// \uHHHH \UHHHHHHHH and octal \NNN (<= 255). An unknown escape (\' included), a
// truncated one, an invalid code point, a raw '"' or a raw newline is an error
// whose message says which; a malformed byte in the raw text becomes U+FFFD.
// out is cleared first; on error its content is unspecified.
Status unescape_string_body(std::string_view body, std::string& out);

}  // namespace ceems::go
