#include "http/web_config.h"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <set>

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

// Walks the YAML tree; every error carries the source name, the key path and the line.
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Error error(const std::string& path, const YAML::Node& node, const std::string& msg) const {
    std::string m = source_ + ": ";
    if (!path.empty()) m += path + ": ";
    m += msg;
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) m += " (line " + std::to_string(mark.line + 1) + ")";
    return invalid(m);
  }
  Error error(const std::string& path, const std::string& msg) const {
    return invalid(source_ + ": " + (path.empty() ? "" : path + ": ") + msg);
  }

  // Calls fn(key, value_node, key_path) for every entry of a mapping, rejecting
  // duplicate and non-scalar keys. A null node is an empty mapping.
  template <typename Fn>
  Status for_each_entry(const YAML::Node& node, const std::string& path, Fn&& fn) const {
    if (node.IsNull()) return Status::Ok();
    if (!node.IsMap()) return error(path, node, "expected a mapping");
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) return error(path, kv.first, "mapping keys must be strings");
      const std::string key = kv.first.Scalar();
      std::string key_path = path;
      if (!key_path.empty()) key_path += '.';
      key_path += key;
      if (!seen.insert(key).second) return error(key_path, kv.first, "duplicate key");
      Status s = fn(key, kv.second, key_path, kv.first);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Result<std::string> string_value(const YAML::Node& node, const std::string& path) const {
    if (node.IsNull()) return std::string();
    if (!node.IsScalar()) return error(path, node, "expected a string");
    return node.Scalar();
  }

  Result<bool> bool_value(const YAML::Node& node, const std::string& path) const {
    if (node.IsNull()) return false;
    bool b = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, b)) {
      return error(
          path, node,
          "expected a boolean, got " + (node.IsScalar() ? quote_for_error(node.Scalar()) : "a collection"));
    }
    return b;
  }

  Result<std::vector<std::string>> string_list(const YAML::Node& node, const std::string& path) const {
    std::vector<std::string> out;
    if (node.IsNull()) return out;
    if (!node.IsSequence()) return error(path, node, "expected a list of strings");
    size_t i = 0;
    for (const auto& item : node) {
      const std::string item_path = path + "[" + std::to_string(i++) + "]";
      if (!item.IsScalar()) return error(item_path, item, "expected a string");
      out.push_back(item.Scalar());
    }
    return out;
  }

  Status parse_tls(const YAML::Node& node, const std::string& base_dir, WebConfig& cfg) const;
  Status parse_http(const YAML::Node& node, WebConfig& cfg) const;
  Status parse_users(const YAML::Node& node, WebConfig& cfg) const;

 private:
  std::string source_;
};

Status Parser::parse_tls(const YAML::Node& node, const std::string& base_dir, WebConfig& cfg) const {
  TlsServerConfig& tls = cfg.tls;
  bool client_auth_set = false;
  std::string min_version = "TLS12";
  std::string max_version = "TLS13";
  YAML::Node min_node, max_node;

  Status s = for_each_entry(
      node, "tls_server_config",
      [&](const std::string& key, const YAML::Node& v, const std::string& path,
          const YAML::Node& key_node) -> Status {
        auto assign_string = [&](std::string& out) -> Status {
          auto r = string_value(v, path);
          if (!r.ok()) return r.error();
          out = std::move(*r);
          return Status::Ok();
        };
        auto assign_list = [&](std::vector<std::string>& out) -> Status {
          auto r = string_list(v, path);
          if (!r.ok()) return r.error();
          out = std::move(*r);
          return Status::Ok();
        };
        if (key == "cert_file") return assign_string(tls.cert_file);
        if (key == "key_file") return assign_string(tls.key_file);
        if (key == "cert") return assign_string(tls.cert);
        if (key == "key") return assign_string(tls.key);
        if (key == "client_ca_file") return assign_string(tls.client_ca_file);
        if (key == "client_ca") return assign_string(tls.client_ca);
        if (key == "client_allowed_sans") return assign_list(tls.client_allowed_sans);
        if (key == "cipher_suites") return assign_list(tls.cipher_suites);
        if (key == "curve_preferences") return assign_list(tls.curve_preferences);
        if (key == "prefer_server_cipher_suites") {
          auto r = bool_value(v, path);
          if (!r.ok()) return r.error();
          tls.prefer_server_cipher_suites = *r;
          return Status::Ok();
        }
        if (key == "client_auth_type") {
          auto r = string_value(v, path);
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
          return error(path, v,
                       "invalid client auth type " + quote_for_error(*r) +
                           " (valid: " + join_names(kClientAuthNames) + ")");
        }
        if (key == "min_version" || key == "max_version") {
          auto r = string_value(v, path);
          if (!r.ok()) return r.error();
          if (r->empty()) return Status::Ok();
          for (size_t i = 0; i < kTlsVersionNames.size(); ++i) {
            if (*r == kTlsVersionNames[i]) {
              (key == "min_version" ? tls.min_version : tls.max_version) = static_cast<TlsVersion>(i);
              (key == "min_version" ? min_node : max_node) = v;
              (key == "min_version" ? min_version : max_version) = *r;
              return Status::Ok();
            }
          }
          return error(path, v,
                       "unknown TLS version " + quote_for_error(*r) +
                           " (valid: " + join_names(kTlsVersionNames) + ")");
        }
        return error(path, key_node, "unknown key (field " + quote_for_error(key) + " not allowed here)");
      });
  if (!s.ok()) return s;

  // Ciphers and curves are checked even when TLS ends up disabled: a typo is a typo.
  for (size_t i = 0; i < tls.cipher_suites.size(); ++i) {
    auto name = go_cipher_suite_to_openssl(tls.cipher_suites[i]);
    const std::string path = "tls_server_config.cipher_suites[" + std::to_string(i) + "]";
    if (!name) {
      return error(path, node["cipher_suites"][i], "unknown cipher " + quote_for_error(tls.cipher_suites[i]));
    }
    if (name->empty()) continue;
    if (!tls.openssl_cipher_list.empty()) tls.openssl_cipher_list += ':';
    tls.openssl_cipher_list += *name;
  }
  for (size_t i = 0; i < tls.curve_preferences.size(); ++i) {
    auto name = go_curve_to_openssl(tls.curve_preferences[i]);
    const std::string path = "tls_server_config.curve_preferences[" + std::to_string(i) + "]";
    if (!name) {
      return error(path, node["curve_preferences"][i],
                   "unknown curve " + quote_for_error(tls.curve_preferences[i]) +
                       " (valid: CurveP256, CurveP384, CurveP521, X25519)");
    }
    if (!tls.openssl_groups_list.empty()) tls.openssl_groups_list += ':';
    tls.openssl_groups_list += *name;
  }

  cfg.tls_enabled = tls.has_cert() || tls.has_key() || tls.has_client_ca() || client_auth_set;
  if (!cfg.tls_enabled) return Status::Ok();

  if (!tls.has_cert()) {
    return error("tls_server_config", node,
                 tls.has_key() ? "key_file/key is set but cert_file/cert is missing"
                               : "missing one of cert or cert_file");
  }
  if (!tls.has_key()) {
    return error("tls_server_config", node, "cert_file/cert is set but key_file/key is missing");
  }
  if (tls.min_version > tls.max_version) {
    return error("tls_server_config.min_version", min_node,
                 "min_version " + min_version + " is greater than max_version " + max_version);
  }
  const auto auth = tls.client_auth_type;
  if (tls.has_client_ca() && auth == ClientAuthType::kNoClientCert) {
    return error("tls_server_config.client_auth_type", node,
                 "client CA's have been configured without a Client Auth Policy (client_auth_type is "
                 "NoClientCert)");
  }
  if (!tls.has_client_ca() && (auth == ClientAuthType::kVerifyClientCertIfGiven ||
                               auth == ClientAuthType::kRequireAndVerifyClientCert)) {
    return error("tls_server_config.client_auth_type", node,
                 "client_auth_type " + std::string(client_auth_type_name(auth)) +
                     " needs client_ca_file or client_ca to verify client certificates");
  }
  if (!tls.client_allowed_sans.empty() && auth != ClientAuthType::kRequireAnyClientCert &&
      auth != ClientAuthType::kRequireAndVerifyClientCert) {
    return error("tls_server_config.client_allowed_sans", node,
                 "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or "
                 "RequireAndVerifyClientCert");
  }

  tls.cert_file = resolve_path(base_dir, tls.cert_file);
  tls.key_file = resolve_path(base_dir, tls.key_file);
  tls.client_ca_file = resolve_path(base_dir, tls.client_ca_file);
  return Status::Ok();
}

Status Parser::parse_http(const YAML::Node& node, WebConfig& cfg) const {
  return for_each_entry(
      node, "http_server_config",
      [&](const std::string& key, const YAML::Node& v, const std::string& path,
          const YAML::Node& key_node) -> Status {
        if (key == "http2") {
          auto r = bool_value(v, path);
          if (!r.ok()) return r.error();
          cfg.http.http2 = v.IsNull() ? true : *r;
          return Status::Ok();
        }
        if (key != "headers") {
          return error(path, key_node, "unknown key (field " + quote_for_error(key) + " not allowed here)");
        }
        return for_each_entry(v, path,
                              [&](const std::string& name, const YAML::Node& hv, const std::string& hpath,
                                  const YAML::Node& name_node) -> Status {
                                const AllowedHeader* allowed = nullptr;
                                for (const auto& a : allowed_headers()) {
                                  if (a.name == name) allowed = &a;
                                }
                                if (allowed == nullptr) {
                                  return error(
                                      hpath, name_node,
                                      "HTTP header " + quote_for_error(name) + " can not be configured");
                                }
                                auto value = string_value(hv, hpath);
                                if (!value.ok()) return value.error();
                                if (value->find_first_of("\r\n") != std::string::npos ||
                                    value->find('\0') != std::string::npos) {
                                  return error(hpath, hv, "header value must not contain line breaks");
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
                                    return error(hpath, hv,
                                                 "invalid value " + quote_for_error(*value) + " for " + name +
                                                     " (expected one of: " + expected + ")");
                                  }
                                }
                                cfg.http.headers.emplace_back(name, std::move(*value));
                                return Status::Ok();
                              });
      });
}

Status Parser::parse_users(const YAML::Node& node, WebConfig& cfg) const {
  return for_each_entry(
      node, "basic_auth_users",
      [&](const std::string& user, const YAML::Node& v, const std::string& path,
          const YAML::Node&) -> Status {
        if (!v.IsNull() && !v.IsScalar()) return error(path, v, "expected a bcrypt hash string");
        // The hash is a secret: the message names the user, never the value.
        const std::string hash = v.IsNull() ? std::string() : v.Scalar();
        if (!looks_like_bcrypt_hash(hash)) {
          return error(path, v, "password of user " + quote_for_error(user) + " is not a valid bcrypt hash");
        }
        cfg.basic_auth_users.emplace(user, hash);
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
  Parser p(source_name);
  auto loaded = load_yaml(yaml, source_name);
  if (!loaded) return loaded.error();
  YAML::Node root = *loaded;

  WebConfig cfg;
  cfg.source = source_name;
  if (!root.IsDefined() || root.IsNull()) return cfg;  // empty file: plain HTTP, no auth
  if (!root.IsMap()) return p.error("", root, "top level must be a mapping");

  try {
    YAML::Node tls_node, http_node, users_node;
    Status s = p.for_each_entry(root, "",
                                [&](const std::string& key, const YAML::Node& v, const std::string& path,
                                    const YAML::Node& key_node) -> Status {
                                  if (key == "tls_server_config") {
                                    tls_node = v;
                                  } else if (key == "http_server_config") {
                                    http_node = v;
                                  } else if (key == "basic_auth_users") {
                                    users_node = v;
                                  } else {
                                    return p.error(
                                        path, key_node,
                                        "unknown key (field " + quote_for_error(key) + " not allowed here)");
                                  }
                                  return Status::Ok();
                                });
    if (s.ok() && tls_node.IsDefined()) s = p.parse_tls(tls_node, base_dir, cfg);
    if (s.ok() && http_node.IsDefined()) s = p.parse_http(http_node, cfg);
    if (s.ok() && users_node.IsDefined()) s = p.parse_users(users_node, cfg);
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
