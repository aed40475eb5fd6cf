// The text parser of ipmi-dcmi/ipmitool/ipmiutil output on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "ipmi/tool_output.h"

namespace {
void fuzz(std::string_view in) {
  auto r = ceems::ipmi::parse_tool_output(in);
  (void)r;
  auto dispatched = ceems::ipmi::parse_power_output(in.substr(0, in.find('\n')), in);
  (void)dispatched;
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
