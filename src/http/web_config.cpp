#include "http/web_config.h"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <optional>

#include "core/filesystem.h"
#include "core/strings.h"
#include "core/yaml.h"
#include "http/basic_auth.h"

namespace ceems::http {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

struct NamePair {
  std::string_view go;
  std::string_view openssl;
};

// The suites Go's tls.CipherSuites() has listed (the exporter-toolkit accepts exactly
// those names), with their OpenSSL spelling.
constexpr std::array<NamePair, 17> kCipherSuites{{
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
}};

constexpr std::array<NamePair, 4> kCurves{{
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
}};

constexpr std::array<std::string_view, 5> kClientAuthNames{"NoClientCert", "RequestClientCert",
                                                           "RequireAnyClientCert", "VerifyClientCertIfGiven",
                                                           "RequireAndVerifyClientCert"};
constexpr std::array<std::string_view, 4> kTlsVersionNames{"TLS10", "TLS11", "TLS12", "TLS13"};

// Header names the exporter-toolkit lets an operator set, with the allowed values
// (empty list: any value).
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;
};
const std::vector<AllowedHeader>& allowed_headers() {
  static const std::vector<AllowedHeader> kAllowed{
      {"Content-Security-Policy", {}},         {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-Content-Type-Options", {"nosniff"}}, {"X-XSS-Protection", {}},
      {"Strict-Transport-Security", {}},
  };
  return kAllowed;
}

template <size_t N>
std::string join_names(const std::array<std::string_view, N>& names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  if (base_dir.back() == '/') return base_dir + path;
  return base_dir + "/" + path;
}

// This file's errors have always named an unknown key by its full path (what an operator
// searches the file for) and a repeated one a "duplicate key"; scripts match on both.
constexpr YamlErrorStyle kErrorStyle{
    .layout = YamlErrorStyle::Layout::kPathFirst,
    .duplicate_key = "duplicate key",
    .unknown_key_at_key_path = true,
};

Status parse_tls(const YamlWalker& w, const YAML::Node& node, const std::string& base_dir, WebConfig& cfg) {
  TlsServerConfig& tls = cfg.tls;
  bool client_auth_set = false;
  std::string min_version = "TLS12";
  std::string max_version = "TLS13";
  YAML::Node min_node, max_node;

  auto client_auth_type = [&](const YamlEntry& e) -> Status {
    auto r = w.string_value(e.value, e.path);
    if (!r.ok()) return r.error();
    if (r->empty()) return Status::Ok();
    client_auth_set = true;
    // "RequireClientCert" is the original's backwards-compatible alias.
    const std::string name = *r == "RequireClientCert" ? "RequireAnyClientCert" : *r;
    for (size_t i = 0; i < kClientAuthNames.size(); ++i) {
      if (name == kClientAuthNames[i]) {
        tls.client_auth_type = static_cast<ClientAuthType>(i);
        return Status::Ok();
      }
    }
    return w.error(
        e.path, e.value,
        "invalid client auth type " + quote_for_error(*r) + " (valid: " + join_names(kClientAuthNames) + ")");
  };
  auto version = [&](TlsVersion& out, YAML::Node& out_node, std::string& out_name) {
    return [&](const YamlEntry& e) -> Status {
      auto r = w.string_value(e.value, e.path);
      if (!r.ok()) return r.error();
      if (r->empty()) return Status::Ok();
      for (size_t i = 0; i < kTlsVersionNames.size(); ++i) {
        if (*r == kTlsVersionNames[i]) {
          out = static_cast<TlsVersion>(i);
          out_node.reset(e.value);
          out_name = *r;
          return Status::Ok();
        }
      }
      return w.error(
          e.path, e.value,
          "unknown TLS version " + quote_for_error(*r) + " (valid: " + join_names(kTlsVersionNames) + ")");
    };
  };
  Status s = w.read_mapping(node, "tls_server_config",
                            {
                                {"cert_file", w.into(tls.cert_file)},
                                {"key_file", w.into(tls.key_file)},
                                {"cert", w.into(tls.cert)},
                                {"key", w.into(tls.key)},
                                {"client_ca_file", w.into(tls.client_ca_file)},
                                {"client_ca", w.into(tls.client_ca)},
                                {"client_auth_type", client_auth_type},
                                {"client_allowed_sans", w.into(tls.client_allowed_sans)},
                                {"min_version", version(tls.min_version, min_node, min_version)},
                                {"max_version", version(tls.max_version, max_node, max_version)},
                                {"cipher_suites", w.into(tls.cipher_suites)},
                                {"prefer_server_cipher_suites", w.into(tls.prefer_server_cipher_suites)},
                                {"curve_preferences", w.into(tls.curve_preferences)},
                            });
  if (!s.ok()) return s;

  // Ciphers and curves are checked even when TLS ends up disabled: a typo is a typo.
  for (size_t i = 0; i < tls.cipher_suites.size(); ++i) {
    auto name = go_cipher_suite_to_openssl(tls.cipher_suites[i]);
    const std::string path = "tls_server_config.cipher_suites[" + std::to_string(i) + "]";
    if (!name) {
      return w.error(path, node["cipher_suites"][i],
                     "unknown cipher " + quote_for_error(tls.cipher_suites[i]));
    }
    if (name->empty()) continue;
    if (!tls.openssl_cipher_list.empty()) tls.openssl_cipher_list += ':';
    tls.openssl_cipher_list += *name;
  }
  for (size_t i = 0; i < tls.curve_preferences.size(); ++i) {
    auto name = go_curve_to_openssl(tls.curve_preferences[i]);
    const std::string path = "tls_server_config.curve_preferences[" + std::to_string(i) + "]";
    if (!name) {
      return w.error(path, node["curve_preferences"][i],
                     "unknown curve " + quote_for_error(tls.curve_preferences[i]) +
                         " (valid: CurveP256, CurveP384, CurveP521, X25519)");
    }
    if (!tls.openssl_groups_list.empty()) tls.openssl_groups_list += ':';
    tls.openssl_groups_list += *name;
  }

  cfg.tls_enabled = tls.has_cert() || tls.has_key() || tls.has_client_ca() || client_auth_set;
  if (!cfg.tls_enabled) return Status::Ok();

  if (!tls.has_cert()) {
    return w.error("tls_server_config", node,
                   tls.has_key() ? "key_file/key is set but cert_file/cert is missing"
                                 : "missing one of cert or cert_file");
  }
  if (!tls.has_key()) {
    return w.error("tls_server_config", node, "cert_file/cert is set but key_file/key is missing");
  }
  if (tls.min_version > tls.max_version) {
    return w.error("tls_server_config.min_version", min_node,
                   "min_version " + min_version + " is greater than max_version " + max_version);
  }
  const auto auth = tls.client_auth_type;
  if (tls.has_client_ca() && auth == ClientAuthType::kNoClientCert) {
    return w.error("tls_server_config.client_auth_type", node,
                   "client CA's have been configured without a Client Auth Policy (client_auth_type is "
                   "NoClientCert)");
  }
  if (!tls.has_client_ca() && (auth == ClientAuthType::kVerifyClientCertIfGiven ||
                               auth == ClientAuthType::kRequireAndVerifyClientCert)) {
    return w.error("tls_server_config.client_auth_type", node,
                   "client_auth_type " + std::string(client_auth_type_name(auth)) +
                       " needs client_ca_file or client_ca to verify client certificates");
  }
  if (!tls.client_allowed_sans.empty() && auth != ClientAuthType::kRequireAnyClientCert &&
      auth != ClientAuthType::kRequireAndVerifyClientCert) {
    return w.error("tls_server_config.client_allowed_sans", node,
                   "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or "
                   "RequireAndVerifyClientCert");
  }

  tls.cert_file = resolve_path(base_dir, tls.cert_file);
  tls.key_file = resolve_path(base_dir, tls.key_file);
  tls.client_ca_file = resolve_path(base_dir, tls.client_ca_file);
  return Status::Ok();
}

// Header names are the operator's keys, checked against allowed_headers() rather than
// a key table, so that the error can say the header cannot be configured.
Status parse_headers(const YamlWalker& w, const YamlEntry& headers, WebConfig& cfg) {
  return w.for_each_entry(headers.value, headers.path, [&](const YamlEntry& e) -> Status {
    const AllowedHeader* allowed = nullptr;
    for (const auto& a : allowed_headers()) {
      if (a.name == e.key) allowed = &a;
    }
    if (allowed == nullptr) {
      return w.error(e.path, e.key_node, "HTTP header " + quote_for_error(e.key) + " can not be configured");
    }
    auto value = w.string_value(e.value, e.path);
    if (!value.ok()) return value.error();
    if (value->find_first_of("\r\n") != std::string::npos || value->find('\0') != std::string::npos) {
      return w.error(e.path, e.value, "header value must not contain line breaks");
    }
    if (value->empty()) return Status::Ok();  // documented as "unset if blank"
    if (!allowed->values.empty()) {
      bool ok = false;
      std::string expected;
      for (auto a : allowed->values) {
        ok = ok || equals_ignoring_case(a, *value);
        expected += (expected.empty() ? "" : ", ") + std::string(a);
      }
      if (!ok) {
        return w.error(e.path, e.value,
                       "invalid value " + quote_for_error(*value) + " for " + e.key +
                           " (expected one of: " + expected + ")");
      }
    }
    cfg.http.headers.emplace_back(e.key, std::move(*value));
    return Status::Ok();
  });
}

Status parse_http(const YamlWalker& w, const YAML::Node& node, WebConfig& cfg) {
  return w.read_mapping(node, "http_server_config",
                        {
                            {"http2",
                             [&](const YamlEntry& e) -> Status {
                               auto r = w.bool_value(e.value, e.path);
                               if (!r.ok()) return r.error();
                               cfg.http.http2 = e.value.IsNull() ? true : *r;
                               return Status::Ok();
                             }},
                            {"headers", [&](const YamlEntry& e) { return parse_headers(w, e, cfg); }},
                        });
}

Status parse_users(const YamlWalker& w, const YAML::Node& node, WebConfig& cfg) {
  return w.for_each_entry(node, "basic_auth_users", [&](const YamlEntry& e) -> Status {
    const YAML::Node& v = e.value;
    if (!v.IsNull() && !v.IsScalar()) return w.error(e.path, v, "expected a bcrypt hash string");
    // The hash is a secret: the message names the user, never the value.
    const std::string hash = v.IsNull() ? std::string() : v.Scalar();
    if (!looks_like_bcrypt_hash(hash)) {
      return w.error(e.path, v, "password of user " + quote_for_error(e.key) + " is not a valid bcrypt hash");
    }
    cfg.basic_auth_users.emplace(e.key, hash);
    return Status::Ok();
  });
}

}  // namespace

std::string_view client_auth_type_name(ClientAuthType t) { return kClientAuthNames[static_cast<size_t>(t)]; }

std::string_view tls_version_name(TlsVersion v) { return kTlsVersionNames[static_cast<size_t>(v)]; }

int tls_version_to_openssl(TlsVersion v) {
  switch (v) {
    case TlsVersion::kTls10:
      return TLS1_VERSION;
    case TlsVersion::kTls11:
      return TLS1_1_VERSION;
    case TlsVersion::kTls12:
      return TLS1_2_VERSION;
    case TlsVersion::kTls13:
      return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

std::optional<std::string_view> go_cipher_suite_to_openssl(std::string_view go_name) {
  for (const auto& c : kCipherSuites) {
    if (c.go == go_name) return c.openssl;
  }
  return std::nullopt;
}

std::optional<std::string_view> go_curve_to_openssl(std::string_view go_name) {
  for (const auto& c : kCurves) {
    if (c.go == go_name) return c.openssl;
  }
  return std::nullopt;
}

Result<WebConfig> parse_web_config(std::string_view yaml, const std::string& base_dir,
                                   const std::string& source_name) {
  auto loaded = load_yaml(yaml, source_name);
  if (!loaded) return loaded.error();
  const YAML::Node root = *loaded;

  WebConfig cfg;
  cfg.source = source_name;
  const YamlWalker w(source_name, kErrorStyle);
  try {
    // An empty file reads as an empty mapping: plain HTTP, no auth.
    std::optional<YamlEntry> tls, http, users;
    Status s = w.read_mapping(root, "",
                              {
                                  {"tls_server_config", YamlWalker::into(tls)},
                                  {"http_server_config", YamlWalker::into(http)},
                                  {"basic_auth_users", YamlWalker::into(users)},
                              });
    if (s.ok() && tls) s = parse_tls(w, tls->value, base_dir, cfg);
    if (s.ok() && http) s = parse_http(w, http->value, cfg);
    if (s.ok() && users) s = parse_users(w, users->value, cfg);
    if (!s.ok()) return s.error();
  } catch (const YAML::Exception& e) {
    // Aliases and odd node shapes can still make yaml-cpp throw while walking.
    return invalid(source_name + ": invalid YAML: " + e.msg);
  }
  return cfg;
}

Result<WebConfig> load_web_config(const std::string& path) {
  // Read errors (including "is a directory") must fail: an unreadable file silently
  // parsed as empty would turn TLS and authentication off.
  auto text = real_filesystem().read_file(path, kMaxConfigBytes + 1);
  if (!text.ok()) return text.error().wrap("couldn't read web config file");
  if (text->size() > kMaxConfigBytes) {
    return invalid("web config file " + path + " is larger than " + std::to_string(kMaxConfigBytes) +
                   " bytes");
  }
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? std::string() : (slash == 0 ? "/" : path.substr(0, slash));
  return parse_web_config(*text, dir, path);
}

}  // namespace ceems::http
