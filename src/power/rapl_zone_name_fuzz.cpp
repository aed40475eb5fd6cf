// The RAPL zone name splitter and zone indexing on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "power/rapl.h"

namespace {
void fuzz(std::string_view in) {
  ceems::RaplZoneIndexer indexer;
  auto name = ceems::parse_rapl_zone_name(in);
  (void)indexer.assign(name);
  (void)indexer.assign(name);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
