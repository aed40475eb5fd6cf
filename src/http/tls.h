// TLS for the exporter's listeners: certificates from the web config (files or inline
// PEM) and an OpenSSL SSL_CTX set up the way the exporter-toolkit sets up Go's
// tls.Config (protocol range, cipher suites, curves, client-certificate policy and
// allowed SANs). The certificate and key are re-checked on every handshake so that a
// rotated certificate is picked up without a restart, as in the original.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/web_config.h"

namespace ceems::http {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// Parsed certificate material named by a web config.
struct TlsMaterial {
  X509Ptr cert;                // leaf: the first certificate of the PEM
  std::vector<X509Ptr> chain;  // any further certificates of the same PEM
  EvpPkeyPtr key;
  std::vector<X509Ptr> client_cas;  // empty without client_ca_file/client_ca
};

// Reads and checks the certificate, key (which must match) and client CAs. Errors name
// the config file, the key and the path (never inline PEM contents).
Result<std::shared_ptr<const TlsMaterial>> load_tls_material(const WebConfig& config);

// Initialises OpenSSL before any thread uses it. The static build does not read
// the host's openssl.cnf: it may name provider modules built for the host's
// libcrypto, which a static binary must not load (its TLS settings are its own,
// as the original Go binary's are). The dynamic build reads it as usual.
void init_tls_library();

// What the OpenSSL callbacks of one SSL_CTX consult. Must outlive that SSL_CTX.
struct TlsPolicy {
  ClientAuthType client_auth = ClientAuthType::kNoClientCert;
  std::vector<std::string> allowed_sans;
  // The material the context was set up with; handshakes use it as long as
  // current_material() returns the same object.
  std::shared_ptr<const TlsMaterial> initial;
  // Material for a new handshake, re-reading the config when it changed; null fails
  // the handshake (the original fails it when the config can no longer be read).
  std::function<std::shared_ptr<const TlsMaterial>()> current_material;
};

// Applies the config to a fresh SSL_CTX. policy is referenced by callbacks installed
// on ctx.
Status configure_ssl_ctx(SSL_CTX* ctx, const WebConfig& config, const TlsMaterial& material,
                         TlsPolicy* policy);

// A certificate's subject alternative names rendered like Go's x509 package does
// (DNS names, e-mail addresses, IP addresses, URIs).
std::vector<std::string> certificate_sans(X509* cert);

}  // namespace ceems::http
