// Checks of the exporter's flags that the parser cannot make alone: values out of
// range, paths the server could never serve, and flags that have no effect with the
// collectors chosen. Pure over the parsed flags, so each rule is tested directly.
#pragma once

#include <string>
#include <vector>

#include "core/flags.h"

namespace ceems {

struct FlagFindings {
  std::vector<std::string> errors;    // start-up stops (exit 1)
  std::vector<std::string> warnings;  // logged at WARN, start-up goes on
  std::vector<std::string> notes;     // logged at INFO
};

FlagFindings check_exporter_flags(const FlagSet& flags);

}  // namespace ceems
