// The telemetry route (/metrics) and the promhttp_metric_handler_* counts that
// belong to it. All of them are kept here: requests answered 200 by the route,
// the 500/503 the server answers itself on that path, and those in flight,
// which a scope guard keeps right even when a scrape throws.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "exporter/process_metrics.h"
#include "exporter/scrape.h"
#include "http/server.h"

namespace ceems {

class MetricsHandler {
 public:
  explicit MetricsHandler(std::string telemetry_path);

  // The counters the scrape engine exposes as promhttp_*; they exist before the
  // engine does, because the server is created (and observed) first.
  std::shared_ptr<HandlerMetrics> metrics() const { return metrics_; }

  // For http::ServerOptions::on_error_status: counts what the server answers on
  // the telemetry path without reaching the route (503 over the request limit,
  // 500 when the route threw).
  std::function<void(const std::string& path, int status)> server_status_observer() const;

  // The route: one scrape of the engine per request.
  http::Handler route(std::shared_ptr<ScrapeEngine> engine) const;

 private:
  std::string telemetry_path_;
  std::shared_ptr<HandlerMetrics> metrics_;
};

}  // namespace ceems
