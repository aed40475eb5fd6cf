// The WattTime login and signal decoders on arbitrary bytes: must never crash or hang.
#include "core/fuzz_harness.h"
#include "emissions/parsers.h"

namespace {

void fuzz_wt(std::string_view data) {
  auto token = ceems::emissions::parse_wt_login(data);
  // A token always is non-empty and safe to put in a header.
  if (token) {
    if (token->empty()) __builtin_trap();
    for (char c : *token) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) __builtin_trap();
    }
  }
  auto signal = ceems::emissions::parse_wt_signal(data);
  if (!signal) return;
  auto factors = ceems::emissions::wt_factors(*signal, "R");
  // A success always is exactly the region's factor.
  if (factors && (factors->size() != 1 || factors->count("R") != 1)) __builtin_trap();
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz_wt)
