// The RTE eCO2mix decoder on arbitrary bytes: must never crash or hang.
#include "core/fuzz_harness.h"
#include "emissions/parsers.h"

namespace {

void fuzz_rte(std::string_view data) {
  auto factors = ceems::emissions::parse_rte_response(data);
  // A success always is exactly the French factor.
  if (factors && (factors->size() != 1 || factors->count("FR") != 1)) __builtin_trap();
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz_rte)
