#include "exporter/build_info.h"

#include "exporter/version.h"

namespace ceems {
namespace {

std::string compiler_id() {
#if defined(__clang__)
  return "clang" + std::string(__clang_version__);
#elif defined(__GNUC__)
  return "gcc" + std::string(__VERSION__);
#else
  return "unknown";
#endif
}

std::string arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__powerpc64__)
  return "ppc64le";
#elif defined(__i386__)
  return "386";
#else
  return "unknown";
#endif
}

}  // namespace

const BuildInfo& build_info() {
  static const BuildInfo info{CEEMS_VERSION,    CEEMS_REVISION, CEEMS_BRANCH, CEEMS_BUILD_USER,
                              CEEMS_BUILD_DATE, compiler_id(),  arch(),       "unknown"};
  return info;
}

std::string version_text(const std::string& program) {
  const BuildInfo& b = build_info();
  return program + ", version " + b.version + " (branch: " + b.branch + ", revision: " + b.revision + ")\n" +
         "  build user:       " + b.build_user + "\n" + "  build date:       " + b.build_date + "\n" +
         "  compiler:         " + b.compiler + "\n" + "  platform:         linux/" + b.goarch + "\n" +
         "  tags:             " + b.tags + "\n";
}

}  // namespace ceems
