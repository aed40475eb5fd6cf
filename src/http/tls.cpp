#include "http/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "core/filesystem.h"
#include "core/strings.h"

namespace ceems::http {
namespace {

constexpr size_t kMaxPemBytes = 4 << 20;

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

// Drains OpenSSL's error queue into one readable string.
std::string openssl_error() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Encrypted keys are not supported (the original has no passphrase option either);
// without this callback OpenSSL would prompt on the terminal.
int no_passphrase(char*, int, int, void*) { return -1; }

Result<std::string> read_pem_file(const WebConfig& cfg, const std::string& key, const std::string& path) {
  auto r = real_filesystem().read_file(path, kMaxPemBytes);
  if (!r.ok()) {
    return r.error().wrap(cfg.source + ": tls_server_config." + key + ": failed to read " +
                          quote_for_error(path));
  }
  return r;
}

// Every certificate in a PEM text, in order.
std::vector<X509Ptr> read_certificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return out;
  while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr)) out.emplace_back(c);
  ERR_clear_error();  // the loop always ends with a "no start line" error
  return out;
}

bool is_verifying(ClientAuthType t) {
  return t == ClientAuthType::kVerifyClientCertIfGiven || t == ClientAuthType::kRequireAndVerifyClientCert;
}

// Installs the per-handshake certificate: the one the context was set up with unless
// the config or its certificate files changed since.
int cert_callback(SSL* ssl, void* arg) {
  auto* policy = static_cast<TlsPolicy*>(arg);
  if (!policy->current_material) return 1;
  std::shared_ptr<const TlsMaterial> m = policy->current_material();
  if (!m) return 0;
  if (m == policy->initial) return 1;
  STACK_OF(X509)* chain = sk_X509_new_null();
  if (chain == nullptr) return 0;
  for (const auto& c : m->chain) sk_X509_push(chain, c.get());
  // SSL_use_cert_and_key takes its own references; the stack itself is ours.
  const int ok = SSL_use_cert_and_key(ssl, m->cert.get(), m->key.get(), chain, 1);
  sk_X509_free(chain);
  return ok == 1 ? 1 : 0;
}

// Replaces OpenSSL's chain verification so that the Go modes that request a client
// certificate without verifying it are possible, and adds the SAN allow-list.
int verify_callback(X509_STORE_CTX* store_ctx, void* arg) {
  auto* policy = static_cast<TlsPolicy*>(arg);
  if (is_verifying(policy->client_auth) && X509_verify_cert(store_ctx) <= 0) return 0;
  if (policy->allowed_sans.empty()) return 1;
  X509* leaf = X509_STORE_CTX_get0_cert(store_ctx);
  if (leaf != nullptr) {
    for (const auto& san : certificate_sans(leaf)) {
      if (std::find(policy->allowed_sans.begin(), policy->allowed_sans.end(), san) !=
          policy->allowed_sans.end()) {
        return 1;
      }
    }
  }
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

std::string asn1_string(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string ip_string(const ASN1_OCTET_STRING* s) {
  const unsigned char* d = ASN1_STRING_get0_data(s);
  const int len = ASN1_STRING_length(s);
  char buf[INET6_ADDRSTRLEN] = {};
  if (len == 4) {
    inet_ntop(AF_INET, d, buf, sizeof buf);
  } else if (len == 16) {
    static const unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    // Go prints IPv4-mapped addresses in dotted form.
    if (std::equal(kV4Mapped, kV4Mapped + 12, d)) {
      inet_ntop(AF_INET, d + 12, buf, sizeof buf);
    } else {
      inet_ntop(AF_INET6, d, buf, sizeof buf);
    }
  }
  return buf;
}

}  // namespace

std::vector<std::string> certificate_sans(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    switch (n->type) {
      case GEN_DNS:
        out.push_back(asn1_string(n->d.dNSName));
        break;
      case GEN_EMAIL:
        out.push_back(asn1_string(n->d.rfc822Name));
        break;
      case GEN_URI:
        out.push_back(asn1_string(n->d.uniformResourceIdentifier));
        break;
      case GEN_IPADD: {
        std::string ip = ip_string(n->d.iPAddress);
        if (!ip.empty()) out.push_back(std::move(ip));
        break;
      }
      default:
        break;
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

Result<std::shared_ptr<const TlsMaterial>> load_tls_material(const WebConfig& config) {
  const TlsServerConfig& tls = config.tls;
  auto m = std::make_shared<TlsMaterial>();
  ERR_clear_error();

  // File paths win over inline PEM, as in the original.
  std::string cert_pem = tls.cert;
  std::string cert_key = "cert";
  if (!tls.cert_file.empty()) {
    auto r = read_pem_file(config, "cert_file", tls.cert_file);
    if (!r.ok()) return r.error();
    cert_pem = std::move(*r);
    cert_key = "cert_file";
  }
  auto certs = read_certificates(cert_pem);
  if (certs.empty()) {
    return invalid(config.source + ": tls_server_config." + cert_key + ": no PEM certificate found" +
                   (cert_key == "cert_file" ? " in " + quote_for_error(tls.cert_file) : std::string()));
  }
  m->cert = std::move(certs.front());
  for (size_t i = 1; i < certs.size(); ++i) m->chain.push_back(std::move(certs[i]));

  std::string key_pem = tls.key;
  std::string key_key = "key";
  if (!tls.key_file.empty()) {
    auto r = read_pem_file(config, "key_file", tls.key_file);
    if (!r.ok()) return r.error();
    key_pem = std::move(*r);
    key_key = "key_file";
  }
  {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
    if (bio) m->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    OPENSSL_cleanse(key_pem.data(), key_pem.size());
  }
  if (!m->key) {
    return invalid(config.source + ": tls_server_config." + key_key + ": no usable PEM private key found" +
                   (key_key == "key_file" ? " in " + quote_for_error(tls.key_file) : std::string()) + ": " +
                   openssl_error());
  }
  if (X509_check_private_key(m->cert.get(), m->key.get()) != 1) {
    ERR_clear_error();
    return invalid(config.source + ": tls_server_config: the private key (" + key_key +
                   ") does not match the certificate (" + cert_key + ")");
  }

  if (tls.has_client_ca()) {
    std::string ca_pem = tls.client_ca;
    std::string ca_key = "client_ca";
    if (!tls.client_ca_file.empty()) {
      auto r = read_pem_file(config, "client_ca_file", tls.client_ca_file);
      if (!r.ok()) return r.error();
      ca_pem = std::move(*r);
      ca_key = "client_ca_file";
    }
    m->client_cas = read_certificates(ca_pem);
    if (m->client_cas.empty()) {
      return invalid(
          config.source + ": tls_server_config." + ca_key + ": no PEM certificate found" +
          (ca_key == "client_ca_file" ? " in " + quote_for_error(tls.client_ca_file) : std::string()));
    }
  }
  return std::shared_ptr<const TlsMaterial>(std::move(m));
}

Status configure_ssl_ctx(SSL_CTX* ctx, const WebConfig& config, const TlsMaterial& material,
                         TlsPolicy* policy) {
  const TlsServerConfig& tls = config.tls;
  ERR_clear_error();
  auto fail = [&](const std::string& what) -> Status {
    return invalid(config.source + ": " + what + ": " + openssl_error());
  };

  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
  if (tls.prefer_server_cipher_suites) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // OpenSSL 3 refuses TLS 1.0/1.1 above security level 0; an operator who asks for
  // them explicitly gets them, as with Go.
  if (tls.min_version < TlsVersion::kTls12) SSL_CTX_set_security_level(ctx, 0);
  if (SSL_CTX_set_min_proto_version(ctx, tls_version_to_openssl(tls.min_version)) != 1) {
    return fail("tls_server_config.min_version " + std::string(tls_version_name(tls.min_version)));
  }
  if (SSL_CTX_set_max_proto_version(ctx, tls_version_to_openssl(tls.max_version)) != 1) {
    return fail("tls_server_config.max_version " + std::string(tls_version_name(tls.max_version)));
  }
  if (!tls.openssl_cipher_list.empty() &&
      SSL_CTX_set_cipher_list(ctx, tls.openssl_cipher_list.c_str()) != 1) {
    return fail("tls_server_config.cipher_suites: none of the configured suites is available");
  }
  if (!tls.openssl_groups_list.empty() &&
      SSL_CTX_set1_groups_list(ctx, tls.openssl_groups_list.c_str()) != 1) {
    return fail("tls_server_config.curve_preferences: unsupported curves");
  }

  if (SSL_CTX_use_certificate(ctx, material.cert.get()) != 1) return fail("tls_server_config: certificate");
  for (const auto& c : material.chain) {
    if (SSL_CTX_add1_chain_cert(ctx, c.get()) != 1) return fail("tls_server_config: certificate chain");
  }
  if (SSL_CTX_use_PrivateKey(ctx, material.key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return fail("tls_server_config: private key");
  }
  policy->client_auth = tls.client_auth_type;
  policy->allowed_sans = tls.client_allowed_sans;
  SSL_CTX_set_cert_cb(ctx, cert_callback, policy);

  // Needed once peers may present certificates, or session resumption fails.
  static const unsigned char kSessionContext[] = "ceems_exporter";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);

  int mode = SSL_VERIFY_NONE;
  switch (tls.client_auth_type) {
    case ClientAuthType::kNoClientCert:
      break;
    case ClientAuthType::kRequestClientCert:
    case ClientAuthType::kVerifyClientCertIfGiven:
      mode = SSL_VERIFY_PEER;
      break;
    case ClientAuthType::kRequireAnyClientCert:
    case ClientAuthType::kRequireAndVerifyClientCert:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      break;
  }
  if (!material.client_cas.empty()) {
    X509_STORE* store = X509_STORE_new();
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    if (store == nullptr || names == nullptr) {
      X509_STORE_free(store);
      sk_X509_NAME_free(names);
      return fail("tls_server_config: client CA store");
    }
    for (const auto& ca : material.client_cas) {
      X509_STORE_add_cert(store, ca.get());
      if (X509_NAME* n = X509_NAME_dup(X509_get_subject_name(ca.get()))) sk_X509_NAME_push(names, n);
    }
    SSL_CTX_set_cert_store(ctx, store);      // takes ownership
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  }
  SSL_CTX_set_verify(ctx, mode, nullptr);
  if (mode != SSL_VERIFY_NONE) SSL_CTX_set_cert_verify_callback(ctx, verify_callback, policy);
  ERR_clear_error();
  return Status::Ok();
}

void init_tls_library() {
#ifdef CEEMS_STATIC_BUILD
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
#else
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr);
#endif
}

}  // namespace ceems::http
