#include "core/yaml.h"

namespace ceems {

Result<YAML::Node> load_yaml(std::string_view text, const std::string& source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    std::string msg = source + ": invalid YAML";
    if (!e.mark.is_null()) {
      msg += " at line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1);
    }
    return invalid(msg + ": " + e.msg);
  }
}

}  // namespace ceems
