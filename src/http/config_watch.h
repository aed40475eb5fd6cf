// The web config as the running server sees it. The original re-reads the file on
// every request and TLS handshake so that new users, headers and certificates apply
// without a restart; this does the same but only re-parses when the config file or a
// certificate file it names has changed (stat per request, parse on change). File
// timestamps are coarse (a clock tick, or seconds on some filesystems), so a same-size
// rewrite right after a load could look unchanged: inputs modified shortly before the
// last load are re-read until they have been quiet for a while, and an unchanged
// content fingerprint keeps the current snapshot (and its credential cache).
#pragma once

#include <sys/types.h>

#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/basic_auth.h"
#include "http/tls.h"
#include "http/web_config.h"

namespace ceems::http {

struct ConfigSnapshot {
  WebConfig config;
  std::shared_ptr<const TlsMaterial> tls;    // null when TLS is off
  std::shared_ptr<BasicAuthenticator> auth;  // never null; disabled without users
};

class WebConfigWatcher {
 public:
  // Loads and validates path (including the certificates); an empty path is a fixed
  // plain-HTTP config without authentication.
  static Result<std::shared_ptr<WebConfigWatcher>> create(const std::string& path);

  // The current snapshot, re-read first when an input changed. An error means the
  // changed config is invalid; the next call tries again.
  Result<std::shared_ptr<const ConfigSnapshot>> current();

  const std::string& path() const { return path_; }

 private:
  struct Stamp {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};
    bool operator==(const Stamp& o) const;
  };
  using Inputs = std::vector<std::pair<std::string, Stamp>>;

  explicit WebConfigWatcher(std::string path) : path_(std::move(path)) {}
  static Stamp stamp(const std::string& path);
  // Parses the file and loads its certificates; fills the stamps taken before reading.
  Result<std::shared_ptr<const ConfigSnapshot>> load(Inputs& inputs, std::string& fingerprint) const;
  bool changed() const;
  bool recently_modified() const;

  const std::string path_;
  std::mutex mu_;
  Inputs inputs_;  // the config file first, then the files it names
  timespec loaded_at_{};
  std::string fingerprint_;  // SHA-256 over the contents of all inputs
  std::shared_ptr<const ConfigSnapshot> snapshot_;
};

}  // namespace ceems::http
