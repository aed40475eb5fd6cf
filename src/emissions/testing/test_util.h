// Test doubles shared by the emissions tests: a scripted HttpClient and a manual clock.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "http/client.h"

namespace ceems::emissions::test {

// Answers every request with handler(request) and records the requests (thread-safe:
// the Electricity Maps provider sends from many threads at once).
class FakeClient final : public http::HttpClient {
 public:
  using Handler = std::function<Result<http::ClientResponse>(const http::ClientRequest&)>;
  explicit FakeClient(Handler handler) : handler_(std::move(handler)) {}

  Result<http::ClientResponse> send(const http::ClientRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    return handler_(request);
  }

  std::vector<http::ClientRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  // Requests whose URL contains `part`.
  size_t count(const std::string& part) const {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& r : requests_) n += r.url.find(part) != std::string::npos ? 1 : 0;
    return n;
  }

 private:
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<http::ClientRequest> requests_;
};

inline http::ClientResponse response(std::string body, int status = 200) {
  http::ClientResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

inline Error transport_error(const std::string& url) {
  return {ErrorKind::kIo, "GET " + url + ": Failed to connect to host: Connection refused"};
}

class ManualClock {
 public:
  std::chrono::steady_clock::time_point now() const {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  std::function<std::chrono::steady_clock::time_point()> fn() {
    return [this] { return now(); };
  }

 private:
  std::atomic<int64_t> ms_{1'000'000};
};

}  // namespace ceems::emissions::test
