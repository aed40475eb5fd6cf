// The RAPL zone name splitter, zone indexing and path cleaning on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "power/rapl.h"

namespace {
void fuzz(std::string_view in) {
  ceems::RaplZoneIndexer indexer;
  auto name = ceems::parse_rapl_zone_name(in);
  (void)indexer.assign(name);
  (void)indexer.assign(name);
  (void)ceems::clean_path(in);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
