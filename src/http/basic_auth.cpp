#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace ceems::http {
namespace {

constexpr std::string_view kBcryptAlphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

int bcrypt_cost(std::string_view hash) { return (hash[4] - '0') * 10 + (hash[5] - '0'); }

// Wipes a string's bytes before it is freed; used for plaintext copies.
struct ScrubbedString {
  std::string s;
  ~ScrubbedString() {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  }
};

}  // namespace

std::optional<BasicCredentials> parse_basic_authorization(std::string_view header_value) {
  constexpr std::string_view kScheme = "basic";
  if (header_value.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = header_value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = header_value.substr(kScheme.size());
  if (rest.front() != ' ' && rest.front() != '\t') return std::nullopt;  // "Basicx..." is another scheme
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  auto decoded = base64_decode(rest);
  if (!decoded) return std::nullopt;
  ScrubbedString plain{std::move(*decoded)};
  const auto colon = plain.s.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{plain.s.substr(0, colon), plain.s.substr(colon + 1)};
}

bool looks_like_bcrypt_hash(std::string_view s) {
  if (s.size() != 60 || s[0] != '$' || s[1] != '2' || s[3] != '$' || s[6] != '$') return false;
  if (s[2] != 'a' && s[2] != 'b' && s[2] != 'x' && s[2] != 'y') return false;
  if (s[4] < '0' || s[4] > '9' || s[5] < '0' || s[5] > '9') return false;
  const int cost = bcrypt_cost(s);
  if (cost < 4 || cost > 31) return false;
  return std::all_of(s.begin() + 7, s.end(),
                     [](char c) { return kBcryptAlphabet.find(c) != std::string_view::npos; });
}

bool bcrypt_matches(std::string_view password, std::string_view hash) {
  if (password.find('\0') != std::string_view::npos || hash.find('\0') != std::string_view::npos) {
    return false;
  }
  ScrubbedString pw{std::string(password)};
  const std::string setting(hash);
  auto data = std::make_unique<crypt_data>();  // value-initialised: crypt_rn wants it zeroed
  const char* out = crypt_rn(pw.s.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  bool ok = false;
  // libxcrypt reports failure with a null pointer or a string starting with '*'.
  if (out != nullptr && out[0] != '*' && std::strlen(out) == setting.size()) {
    ok = CRYPTO_memcmp(out, setting.data(), setting.size()) == 0;
  }
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  return ok;
}

BasicAuthenticator::BasicAuthenticator(UserMap users, size_t cache_capacity)
    : users_(std::move(users)), capacity_(std::max<size_t>(cache_capacity, 1)) {
  // The dummy comparison for unknown users should cost what a real one costs.
  int cost = 10;
  bool first = true;
  for (const auto& [user, hash] : users_) {
    if (!looks_like_bcrypt_hash(hash)) continue;
    cost = first ? bcrypt_cost(hash) : std::max(cost, bcrypt_cost(hash));
    first = false;
  }
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> salt{};
  if (crypt_gensalt_rn("$2y$", static_cast<unsigned long>(cost), nullptr, 0, salt.data(),
                       static_cast<int>(salt.size())) != nullptr) {
    dummy_setting_ = salt.data();
  } else {
    // A well-formed fixed salt keeps the equalisation even without OS randomness.
    dummy_setting_ = "$2y$10$abcdefghijklmnopqrstuu";
  }
}

std::string BasicAuthenticator::cache_key(std::string_view user, std::string_view hash,
                                          std::string_view password) const {
  // Keyed on the hash too, so a changed password in the config invalidates old entries.
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, hash.data(), hash.size()) == 1 && EVP_DigestUpdate(ctx, "\0", 1) == 1 &&
            EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, md.data(), &md_len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return {};  // no caching rather than a weak key
  std::string key(user);
  key += '\0';
  key.append(reinterpret_cast<const char*>(md.data()), md_len);
  return key;
}

bool BasicAuthenticator::cache_contains(const std::string& key) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return false;
  lru_.splice(lru_.begin(), lru_, it->second);
  return true;
}

void BasicAuthenticator::cache_insert(const std::string& key) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.count(key) != 0) return;
  lru_.push_front(key);
  cache_.emplace(key, lru_.begin());
  while (cache_.size() > capacity_) {
    cache_.erase(lru_.back());
    lru_.pop_back();
  }
}

size_t BasicAuthenticator::cache_size() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return cache_.size();
}

bool BasicAuthenticator::verify(std::string_view user, std::string_view password) {
  auto it = users_.find(std::string(user));
  if (it == users_.end()) {
    std::lock_guard<std::mutex> lock(bcrypt_mu_);
    (void)bcrypt_matches(password, dummy_setting_);
    return false;
  }
  const std::string key = cache_key(user, it->second, password);
  if (!key.empty() && cache_contains(key)) return true;
  bool ok = false;
  {
    std::lock_guard<std::mutex> lock(bcrypt_mu_);
    ok = bcrypt_matches(password, it->second);
  }
  if (ok && !key.empty()) cache_insert(key);
  return ok;
}

bool BasicAuthenticator::authorize(std::string_view authorization_header) {
  if (!enabled()) return true;
  auto creds = parse_basic_authorization(authorization_header);
  if (!creds) return false;
  const bool ok = verify(creds->user, creds->password);
  OPENSSL_cleanse(creds->password.data(), creds->password.size());
  return ok;
}

std::optional<bool> BasicAuthenticator::authorize_cached(std::string_view authorization_header) {
  if (!enabled()) return true;
  auto creds = parse_basic_authorization(authorization_header);
  if (!creds) return false;
  std::optional<bool> answer;
  if (auto it = users_.find(creds->user); it != users_.end()) {
    const std::string key = cache_key(creds->user, it->second, creds->password);
    if (!key.empty() && cache_contains(key)) answer = true;
  }
  OPENSSL_cleanse(creds->password.data(), creds->password.size());
  return answer;
}

}  // namespace ceems::http
