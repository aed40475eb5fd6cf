// Where outbound TLS (Redfish BMCs, emissions APIs) finds the certificate
// authorities it trusts, found the way the original's Go runtime finds them on
// Linux, so that one binary verifies servers on Debian, RHEL and SUSE alike:
// $SSL_CERT_FILE and $SSL_CERT_DIR when set, else the first bundle that exists of
// the distributions' usual places, and the first certificate directory.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/filesystem.h"

namespace ceems::http {

inline constexpr std::string_view kCaFileEnv = "SSL_CERT_FILE";
inline constexpr std::string_view kCaDirEnv = "SSL_CERT_DIR";

struct CaLocations {
  std::string file;  // a PEM bundle; empty: none found
  std::string dir;   // a directory of hashed certificates; empty: none found
};

// env returns the variable's value, or nullptr when it is not set.
using Environment = std::function<const char*(const char*)>;

// The bundle: $SSL_CERT_FILE (used as given, even if missing: the operator named
// it), else the first regular file of /etc/ssl/certs/ca-certificates.crt (Debian,
// Ubuntu), /etc/pki/tls/certs/ca-bundle.crt (RHEL, Fedora), /etc/ssl/ca-bundle.pem
// (SUSE), /etc/pki/tls/cacert.pem, /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem
// (RHEL 7), /etc/ssl/cert.pem (Alpine). The directory: the first entry of
// $SSL_CERT_DIR (colon-separated), else /etc/ssl/certs or /etc/pki/tls/certs.
CaLocations find_ca_locations(const Filesystem& fs, const Environment& env);

}  // namespace ceems::http
