// Build metadata shown by --version, the landing page and ceems_exporter_build_info.
#pragma once

#include <string>

namespace ceems {

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string branch;
  std::string build_user;
  std::string build_date;
  std::string compiler;  // goes into the goversion label
  std::string goarch;    // Go-style architecture name (amd64, arm64...)
  std::string tags;
};

const BuildInfo& build_info();
// The --version block: "<program>, version X (branch: B, revision: R)" and build lines.
std::string version_text(const std::string& program);

}  // namespace ceems
