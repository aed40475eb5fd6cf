// The Prometheus exporter-toolkit web configuration file (--web.config.file): TLS
// settings, extra response headers and basic-auth users. Parsing is strict, like the
// original's yaml.UnmarshalStrict: an unknown key is an error, so a typo never silently
// turns TLS or authentication off.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace ceems::http {

enum class ClientAuthType {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};

enum class TlsVersion { kTls10, kTls11, kTls12, kTls13 };

std::string_view client_auth_type_name(ClientAuthType t);
std::string_view tls_version_name(TlsVersion v);
// The OpenSSL protocol constant (TLS1_2_VERSION, ...).
int tls_version_to_openssl(TlsVersion v);

// OpenSSL name of a Go cipher suite name accepted by the exporter-toolkit. TLS 1.3
// suites map to "" (Go does not let them be configured, so they are accepted and
// ignored); nullopt means the name is unknown.
std::optional<std::string_view> go_cipher_suite_to_openssl(std::string_view go_name);
// OpenSSL group name of a Go curve name (CurveP256 -> P-256); nullopt when unknown.
std::optional<std::string_view> go_curve_to_openssl(std::string_view go_name);

struct TlsServerConfig {
  // File paths are already resolved against the config file's directory.
  std::string cert_file;
  std::string key_file;
  std::string cert;  // inline PEM; cert_file wins when both are set (as in the original)
  std::string key;   // inline PEM; a secret: never log it
  ClientAuthType client_auth_type = ClientAuthType::kNoClientCert;
  std::string client_ca_file;
  std::string client_ca;  // inline PEM
  std::vector<std::string> client_allowed_sans;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  std::vector<std::string> cipher_suites;  // Go names as written
  std::string openssl_cipher_list;         // derived, ':'-separated; empty: OpenSSL default
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curve_preferences;  // Go names as written
  std::string openssl_groups_list;             // derived, ':'-separated; empty: OpenSSL default

  bool has_cert() const { return !cert_file.empty() || !cert.empty(); }
  bool has_key() const { return !key_file.empty() || !key.empty(); }
  bool has_client_ca() const { return !client_ca_file.empty() || !client_ca.empty(); }
};

struct HttpServerConfig {
  bool http2 = true;  // accepted for compatibility; this server speaks HTTP/1.1 only
  // Headers added to every response, in file order; blank values are dropped.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct WebConfig {
  std::string source;        // file name used in messages
  bool tls_enabled = false;  // any certificate, key, client CA or client_auth_type set
  TlsServerConfig tls;
  HttpServerConfig http;
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash (secret)
};

// Parses and validates a web config document. base_dir resolves relative file paths;
// source_name prefixes every error message, which also names the offending key path
// (e.g. "tls_server_config.cert_fil") and, where not secret, the value. Pure: reads no
// file (certificates are loaded and checked by the server, see tls.h).
Result<WebConfig> parse_web_config(std::string_view yaml, const std::string& base_dir,
                                   const std::string& source_name);

// Reads and parses path; relative paths inside resolve against its directory.
Result<WebConfig> load_web_config(const std::string& path);

}  // namespace ceems::http
