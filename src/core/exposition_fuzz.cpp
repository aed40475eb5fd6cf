#include <cstring>

#include "core/exposition.h"
#include "core/fuzz_harness.h"
#include "core/strings.h"

namespace {
// Each 8-byte chunk is a double to format; the text is also used as a label value.
void fuzz(std::string_view in) {
  for (size_t i = 0; i + 8 <= in.size(); i += 8) {
    double v = 0;
    std::memcpy(&v, in.data() + i, 8);
    (void)ceems::format_value(v);
  }
  (void)ceems::parse_double(in);
  (void)ceems::sanitize_metric_name(in);
  ceems::MetricBatch b;
  b.add({"f", "h\n\\", ceems::MetricType::kGauge, {"a", "b"}}, {in, in.substr(0, in.size() / 2)}, 1);
  b.add({"f", "h\n\\", ceems::MetricType::kGauge, {"a", "b"}}, {in.substr(in.size() / 2), in}, 2);
  std::string out;
  const ceems::MetricBatch* batches[] = {&b};
  ceems::write_text(batches, out);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
