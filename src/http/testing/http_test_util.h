// Helpers shared by the http tests: temporary directories, bcrypt hashes and X.509
// certificates made at test time (so no key material is checked in), and a raw TLS
// probe that reports what a handshake saw.
#pragma once

#include <arpa/inet.h>
#include <crypt.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/testing/test_support.h"

namespace ceems::http::test_util {

// The shared scratch tree under the names these tests use.
class TempDir : public ceems::test_support::TempTree {
 public:
  TempDir() : TempTree("ceems_http_test") {}
  const std::string& path() const { return root(); }
  std::string file(const std::string& name) const { return TempTree::path(name); }
};

inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

// Cost 4 keeps tests fast; the format is what htpasswd -B writes.
inline std::string bcrypt_hash(const std::string& password, int cost = 4) {
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (crypt_gensalt_rn("$2y$", static_cast<unsigned long>(cost), nullptr, 0, salt.data(),
                       static_cast<int>(salt.size())) == nullptr) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), salt.data(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') throw std::runtime_error("crypt_rn failed");
  return out;
}

struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CertFree {
  void operator()(X509* p) const { X509_free(p); }
};

struct Identity {
  std::unique_ptr<EVP_PKEY, KeyFree> key;
  std::unique_ptr<X509, CertFree> cert;

  std::string cert_pem() const {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, cert.get());
    return drain(b);
  }
  std::string key_pem() const {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return drain(b);
  }
  void write(const std::string& cert_path, const std::string& key_path) const {
    write_file(cert_path, cert_pem());
    write_file(key_path, key_pem());
  }

 private:
  static std::string drain(BIO* b) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(b);
    return s;
  }
};

inline void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// An EC P-256 certificate with the given CN and SANs ("IP:127.0.0.1,DNS:localhost"),
// self-signed unless an issuer is given; is_ca makes it usable as a client CA.
inline Identity make_identity(const std::string& cn, const std::string& sans,
                              const Identity* issuer = nullptr, bool is_ca = false,
                              bool client_auth = false) {
  static long serial = 1;
  Identity id;
  id.key.reset(EVP_EC_gen("P-256"));
  id.cert.reset(X509_new());
  X509* x = id.cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, id.key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  if (is_ca) {
    add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  }
  if (client_auth) add_ext(x, issuer_cert, NID_ext_key_usage, "clientAuth");
  if (!sans.empty()) add_ext(x, issuer_cert, NID_subject_alt_name, sans);
  EVP_PKEY* signer = issuer != nullptr ? issuer->key.get() : id.key.get();
  if (X509_sign(x, signer, EVP_sha256()) == 0) throw std::runtime_error("X509_sign failed");
  return id;
}

struct ProbeResult {
  bool handshake = false;   // SSL_connect succeeded
  std::string status_line;  // first response line, empty when none came back
  std::string peer_cn;      // subject CN of the server certificate
};

// Connects to 127.0.0.1:port over TLS (no server verification), sends one GET and
// reads the status line.
inline ProbeResult tls_probe(int port, const std::string& path = "/metrics", int max_version = 0,
                             const Identity* client = nullptr) {
  ProbeResult r;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return r;
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  if (max_version != 0) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, 0);
    SSL_CTX_set_max_proto_version(ctx, max_version);
  }
  if (client != nullptr) {
    SSL_CTX_use_certificate(ctx, client->cert.get());
    SSL_CTX_use_PrivateKey(ctx, client->key.get());
  }
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) == 1) {
    r.handshake = true;
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
      r.peer_cn = cn;
      X509_free(peer);
    }
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if (SSL_write(ssl, req.data(), static_cast<int>(req.size())) > 0) {
      std::string resp;
      char buf[4096];
      int n = 0;
      while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
      r.status_line = resp.substr(0, resp.find("\r\n"));
    }
  }
  ERR_clear_error();
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return r;
}

}  // namespace ceems::http::test_util
