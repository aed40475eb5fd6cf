#include "http/ca_bundle.h"

namespace ceems::http {
namespace {

constexpr std::string_view kBundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
};
constexpr std::string_view kDirectories[] = {"/etc/ssl/certs", "/etc/pki/tls/certs"};

bool is_file(const Filesystem& fs, const std::string& path) {
  auto st = fs.stat(path);
  return st.ok() && !st->is_dir;
}

}  // namespace

CaLocations find_ca_locations(const Filesystem& fs, const Environment& env) {
  CaLocations out;
  const char* file = env ? env(kCaFileEnv.data()) : nullptr;
  if (file != nullptr && *file != '\0') {
    out.file = file;
  } else {
    for (std::string_view candidate : kBundles) {
      if (is_file(fs, std::string(candidate))) {
        out.file = candidate;
        break;
      }
    }
  }
  const char* dirs = env ? env(kCaDirEnv.data()) : nullptr;
  if (dirs != nullptr && *dirs != '\0') {
    const std::string_view list(dirs);
    out.dir = std::string(list.substr(0, list.find(':')));
  } else {
    for (std::string_view candidate : kDirectories) {
      if (fs.is_dir(std::string(candidate))) {
        out.dir = candidate;
        break;
      }
    }
  }
  return out;
}

}  // namespace ceems::http
