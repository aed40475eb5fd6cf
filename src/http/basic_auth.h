// HTTP basic authentication against the bcrypt hashes of the web config file.
// One bcrypt check costs ~90 ms at cost 10 and Prometheus scrapes every few seconds,
// so successful checks are cached; the cache key is derived from a SHA-256 digest so
// that no plaintext password is ever kept in memory beyond the request.
#pragma once

#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/base64.h"

namespace ceems::http {

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Parses an "Authorization" header value of the form "Basic <base64(user:password)>"
// (scheme case-insensitive, standard padded base64). nullopt for any other form.
std::optional<BasicCredentials> parse_basic_authorization(std::string_view header_value);

// True when s has the shape of a bcrypt hash ($2a$, $2b$, $2x$ or $2y$, cost 04..31,
// 53 characters of salt and digest).
bool looks_like_bcrypt_hash(std::string_view s);

// One uncached bcrypt comparison (libxcrypt crypt_rn); constant time in the result.
// A password with an embedded NUL never matches: crypt would silently cut it there.
bool bcrypt_matches(std::string_view password, std::string_view hash);

class BasicAuthenticator {
 public:
  using UserMap = std::map<std::string, std::string>;  // user -> bcrypt hash

  static constexpr size_t kDefaultCacheCapacity = 256;

  explicit BasicAuthenticator(UserMap users, size_t cache_capacity = kDefaultCacheCapacity);
  BasicAuthenticator(const BasicAuthenticator&) = delete;
  BasicAuthenticator& operator=(const BasicAuthenticator&) = delete;

  // No users configured: every request passes.
  bool enabled() const { return !users_.empty(); }

  // Checks an Authorization header value (empty when absent). Thread-safe.
  bool authorize(std::string_view authorization_header);
  // The answer authorize() would give when it needs no bcrypt comparison (no users,
  // a malformed header, a cached success); nullopt otherwise. Cheap enough for the
  // server's event thread.
  std::optional<bool> authorize_cached(std::string_view authorization_header);
  // Checks one user/password pair. Unknown users still pay one bcrypt computation so
  // that response timing does not reveal which user names exist. Thread-safe.
  bool verify(std::string_view user, std::string_view password);

  size_t cache_size() const;

 private:
  std::string cache_key(std::string_view user, std::string_view hash, std::string_view password) const;
  bool cache_contains(const std::string& key);
  void cache_insert(const std::string& key);

  const UserMap users_;
  const size_t capacity_;
  std::string dummy_setting_;  // bcrypt salt string for the timing-equalising comparison

  // bcrypt is CPU-bound: run one at a time, as the original does, so a burst of bad
  // credentials cannot take every core.
  std::mutex bcrypt_mu_;

  mutable std::mutex cache_mu_;
  std::list<std::string> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<std::string>::iterator> cache_;
};

}  // namespace ceems::http
