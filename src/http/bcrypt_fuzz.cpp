// bcrypt_matches sees the client's password against the operator's hash.
// Input: password, a newline, then the hash. Costs above 5 are skipped so that the
// fuzzer explores parsing rather than spending seconds per hash.
#include "core/fuzz_harness.h"
#include "http/basic_auth.h"

namespace {

void fuzz(std::string_view in) {
  const size_t nl = in.find('\n');
  if (nl == std::string_view::npos) return;
  const std::string_view password = in.substr(0, nl);
  const std::string_view hash = in.substr(nl + 1);
  if (hash.size() >= 7 && hash[0] == '$' && hash[3] == '$') {
    const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    if (cost > 5) return;
  }
  const bool matched = ceems::http::bcrypt_matches(password, hash);
  // A match needs a well-formed hash.
  if (matched && !ceems::http::looks_like_bcrypt_hash(hash)) __builtin_trap();
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
