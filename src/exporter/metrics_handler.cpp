#include "exporter/metrics_handler.h"

#include <malloc.h>

#include <utility>

namespace ceems {
namespace {

// A page above this size frees megabytes of walk and stats buffers: they are
// handed back instead of staying resident until the next scrape.
constexpr size_t kTrimAfterBytes = size_t{1} << 20;

class InFlight {
 public:
  explicit InFlight(std::atomic<int64_t>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::atomic<int64_t>& n_;
};

}  // namespace

MetricsHandler::MetricsHandler(std::string telemetry_path)
    : telemetry_path_(std::move(telemetry_path)), metrics_(std::make_shared<HandlerMetrics>()) {}

std::function<void(const std::string&, int)> MetricsHandler::server_status_observer() const {
  return [metrics = metrics_, path = telemetry_path_](const std::string& request_path, int status) {
    if (request_path != path) return;
    if (status == 503) ++metrics->code_503;
    if (status == 500) ++metrics->code_500;
  };
}

http::Handler MetricsHandler::route(std::shared_ptr<ScrapeEngine> engine) const {
  return [engine = std::move(engine), metrics = metrics_](const http::Request&) {
    const InFlight in_flight(metrics->in_flight);
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores";
    r.body = engine->scrape();
    if (r.body.size() > kTrimAfterBytes) ::malloc_trim(0);
    ++metrics->code_200;
    return r;
  };
}

}  // namespace ceems
