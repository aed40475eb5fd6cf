#include "http/config_watch.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace ceems::http {
namespace {

// How long after a modification an input is still re-read on every check; covers
// filesystems with one- or two-second timestamps.
constexpr time_t kQuietSeconds = 2;

timespec now_realtime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

// A digest of the files' bytes (a missing file counts as distinct from an empty one).
std::string fingerprint_of(const std::vector<std::string>& paths) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return {};
  }
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    if (in) ss << in.rdbuf();
    const std::string data = (in ? "+" : "-") + std::to_string(ss.str().size()) + ":" + ss.str();
    EVP_DigestUpdate(ctx, data.data(), data.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = EVP_DigestFinal_ex(ctx, md, &len) == 1;
  EVP_MD_CTX_free(ctx);
  return ok ? std::string(reinterpret_cast<const char*>(md), len) : std::string();
}

}  // namespace

bool WebConfigWatcher::Stamp::operator==(const Stamp& o) const {
  return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
         mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec &&
         ctime.tv_sec == o.ctime.tv_sec && ctime.tv_nsec == o.ctime.tv_nsec;
}

WebConfigWatcher::Stamp WebConfigWatcher::stamp(const std::string& path) {
  Stamp s;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return s;
  s.exists = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  return s;
}

Result<std::shared_ptr<WebConfigWatcher>> WebConfigWatcher::create(const std::string& path) {
  std::shared_ptr<WebConfigWatcher> w(new WebConfigWatcher(path));
  if (path.empty()) {
    auto snap = std::make_shared<ConfigSnapshot>();
    snap->auth = std::make_shared<BasicAuthenticator>(BasicAuthenticator::UserMap{});
    w->snapshot_ = std::move(snap);
    return w;
  }
  Inputs inputs;
  std::string fingerprint;
  const timespec started = now_realtime();
  auto snap = w->load(inputs, fingerprint);
  if (!snap.ok()) return snap.error();
  w->snapshot_ = std::move(*snap);
  w->inputs_ = std::move(inputs);
  w->fingerprint_ = std::move(fingerprint);
  w->loaded_at_ = started;
  return w;
}

Result<std::shared_ptr<const ConfigSnapshot>> WebConfigWatcher::load(Inputs& inputs,
                                                                     std::string& fingerprint) const {
  // Stamps are taken before reading: a write racing with the read shows up as a
  // change on the next check rather than being missed.
  inputs.clear();
  inputs.emplace_back(path_, stamp(path_));
  auto cfg = load_web_config(path_);
  if (!cfg.ok()) return cfg.error();
  std::vector<std::string> files{path_};
  if (cfg->tls_enabled) {
    for (const std::string* f : {&cfg->tls.cert_file, &cfg->tls.key_file, &cfg->tls.client_ca_file}) {
      if (f->empty()) continue;
      inputs.emplace_back(*f, stamp(*f));
      files.push_back(*f);
    }
  }
  fingerprint = fingerprint_of(files);
  if (snapshot_ && !fingerprint.empty() && fingerprint == fingerprint_) return snapshot_;

  auto snap = std::make_shared<ConfigSnapshot>();
  if (cfg->tls_enabled) {
    auto material = load_tls_material(*cfg);
    if (!material.ok()) return material.error();
    snap->tls = std::move(*material);
  }
  snap->auth = std::make_shared<BasicAuthenticator>(cfg->basic_auth_users);
  snap->config = std::move(*cfg);
  return std::shared_ptr<const ConfigSnapshot>(std::move(snap));
}

bool WebConfigWatcher::changed() const {
  for (const auto& [file, st] : inputs_) {
    if (!(stamp(file) == st)) return true;
  }
  return false;
}

bool WebConfigWatcher::recently_modified() const {
  for (const auto& [file, st] : inputs_) {
    if (!st.exists) continue;
    const timespec& m = st.mtime;
    // loaded_at_ - mtime < kQuietSeconds, in whole timespec arithmetic.
    if (loaded_at_.tv_sec < m.tv_sec + kQuietSeconds ||
        (loaded_at_.tv_sec == m.tv_sec + kQuietSeconds && loaded_at_.tv_nsec < m.tv_nsec)) {
      return true;
    }
  }
  return false;
}

Result<std::shared_ptr<const ConfigSnapshot>> WebConfigWatcher::current() {
  std::lock_guard<std::mutex> lock(mu_);
  if (path_.empty() || (!changed() && !recently_modified())) return snapshot_;
  Inputs inputs;
  std::string fingerprint;
  const timespec started = now_realtime();
  auto snap = load(inputs, fingerprint);
  if (!snap.ok()) return snap.error();
  snapshot_ = std::move(*snap);
  inputs_ = std::move(inputs);
  fingerprint_ = std::move(fingerprint);
  loaded_at_ = started;
  return snapshot_;
}

}  // namespace ceems::http
