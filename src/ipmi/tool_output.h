// Parsers for the power statistics printed by the external IPMI tools: FreeIPMI
// `ipmi-dcmi`, `ipmitool`, `ipmiutil` (line-oriented text) and Cray `capmc` (JSON).
// The text matching is hand-written and reproduces, label for label, the patterns of
// the reference exporter so that wrapper scripts in the field keep working.
#pragma once

#include <optional>
#include <string_view>

#include "core/result.h"

namespace ceems::ipmi {

// A reading is absent when the tool did not print it (or printed an unparsable number).
struct PowerReadings {
  std::optional<double> current;
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> avg;

  bool empty() const { return !current && !min && !max && !avg; }
};

// Text output of ipmi-dcmi / ipmitool / ipmiutil or any wrapper printing the same lines.
// The state line ("Power Measurement : Active", "Power reading state is: activated" ...)
// is mandatory: missing -> error "could not find value in output: ..."; a state other
// than active/Active/activated -> error "IPMI Power readings not Active". For each
// reading the first matching line wins; its number is parsed as a decimal float and
// the reading is omitted when that fails (empty, "1.2.3").
Result<PowerReadings> parse_tool_output(std::string_view output);

// JSON printed by `capmc get_system_power`. current is a copy of avg when avg > 0.
Result<PowerReadings> parse_capmc_output(std::string_view output);

// True when the program (first command word) has the basename `capmc`; the reference
// chooses the JSON parser on exactly this test, so `sudo capmc` is parsed as text.
bool is_capmc_program(std::string_view program);

// Dispatches on is_capmc_program(program).
Result<PowerReadings> parse_power_output(std::string_view program, std::string_view output);

}  // namespace ceems::ipmi
