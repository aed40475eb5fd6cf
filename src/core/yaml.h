// Loading YAML configuration text with an error that names the source and position.
// Separate from ceems_core so only what parses YAML links yaml-cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems {

// yaml-cpp's messages carry a position and a description, never the text itself, so
// a secret in the file cannot leak through the error.
Result<YAML::Node> load_yaml(std::string_view text, const std::string& source);

}  // namespace ceems
