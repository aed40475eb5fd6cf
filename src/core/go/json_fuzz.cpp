// JSON as Go decodes it: both document types accept the same inputs, and field
// lookup on whatever comes out never fails.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/fuzz_harness.h"
#include "core/go/json.h"

namespace {
template <class Json>
void look_up(const Json& doc) {
  if (!doc.is_object()) return;
  for (const char* name : {"Chassis", "zone", "size", "key"}) (void)ceems::go::json_field(doc, name);
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!ceems::go::json_key_matches(it.key(), it.key())) std::abort();
  }
}

void fuzz(std::string_view in) {
  auto sorted = ceems::go::decode_json<nlohmann::json>(in);
  auto ordered = ceems::go::decode_json<nlohmann::ordered_json>(in);
  if (sorted.ok() != ordered.ok()) std::abort();
  if (sorted.ok()) {
    look_up(*sorted);
    look_up(*ordered);
  }
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
