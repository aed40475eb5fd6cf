// Runes, text and path helpers: the invariants Go's utf8, strings and filepath packages guarantee.
#include <cstdlib>
#include <string>

#include "core/fuzz_harness.h"
#include "core/go/filepath.h"
#include "core/go/runes.h"
#include "core/go/text.h"

namespace {
void fuzz(std::string_view in) {
  const std::string replaced = ceems::go::replace_malformed_bytes(in);
  if (!ceems::go::valid_string(replaced)) std::abort();
  if (ceems::go::valid_string(in) != (replaced == in)) std::abort();

  // Decoding and re-encoding every rune reproduces the replaced text.
  std::string again;
  for (size_t i = 0; i < in.size();) {
    size_t len = 0;
    const char32_t r = ceems::go::decode_rune(in, i, len);
    if (len == 0 || len > 4) std::abort();
    ceems::go::append_rune(again, r);
    i += len;
  }
  if (again != replaced) std::abort();

  const std::string_view trimmed = ceems::go::trim_space(in);
  if (ceems::go::trim_space(trimmed) != trimmed) std::abort();

  size_t total = 0;
  ceems::go::for_each_line(in, [&](std::string_view line) {
    if (line.find('\n') != std::string_view::npos) std::abort();
    total += line.size();
    return true;
  });
  if (total > in.size()) std::abort();

  const std::string cleaned = ceems::go::clean_path(in);
  if (cleaned.empty() || ceems::go::clean_path(cleaned) != cleaned) std::abort();
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
