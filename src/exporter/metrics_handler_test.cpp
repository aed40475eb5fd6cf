#include "exporter/metrics_handler.h"

#include <gtest/gtest.h>

#include <atomic>

namespace ceems {
namespace {

// Records how many telemetry requests were in flight while it was scraped.
class InFlightProbe : public Collector {
 public:
  explicit InFlightProbe(std::shared_ptr<HandlerMetrics> metrics) : metrics_(std::move(metrics)) {}
  Status update(MetricBatch& out) override {
    seen_in_flight = metrics_->in_flight.load();
    out.add({"ceems_probe", "Probe.", MetricType::kGauge, {}}, {}, 1);
    return Status::Ok();
  }
  std::atomic<int64_t> seen_in_flight{-1};

 private:
  std::shared_ptr<HandlerMetrics> metrics_;
};

TEST(ExporterMetricsHandler, RouteScrapesAndCountsTheRequest) {
  const MetricsHandler handler("/metrics");
  auto probe = std::make_unique<InFlightProbe>(handler.metrics());
  InFlightProbe* seen = probe.get();
  std::vector<NamedCollector> cs;
  cs.push_back({"probe", std::move(probe)});
  auto engine = std::make_shared<ScrapeEngine>(std::move(cs), log::Logger(), true, handler.metrics());
  const http::Handler route = handler.route(engine);

  const http::Response first = route(http::Request{});
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.content_type, "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
  EXPECT_NE(first.body.find("ceems_probe 1\n"), std::string::npos) << first.body;
  EXPECT_EQ(seen->seen_in_flight.load(), 1);
  EXPECT_EQ(handler.metrics()->in_flight.load(), 0);
  EXPECT_EQ(handler.metrics()->code_200.load(), 1U);

  // The engine's promhttp_* samples are the handler's counts.
  const http::Response second = route(http::Request{});
  EXPECT_NE(second.body.find("promhttp_metric_handler_requests_total{code=\"200\"} 1\n"), std::string::npos)
      << second.body;
  EXPECT_NE(second.body.find("promhttp_metric_handler_requests_in_flight 1\n"), std::string::npos)
      << second.body;
  EXPECT_EQ(handler.metrics()->code_200.load(), 2U);
}

TEST(ExporterMetricsHandler, CountsServerAnswersOnTheTelemetryPathOnly) {
  const MetricsHandler handler("/metrics");
  const auto observe = handler.server_status_observer();
  observe("/metrics", 503);
  observe("/metrics", 503);
  observe("/metrics", 500);
  observe("/metrics", 404);
  observe("/targets", 503);
  observe("/", 500);
  EXPECT_EQ(handler.metrics()->code_503.load(), 2U);
  EXPECT_EQ(handler.metrics()->code_500.load(), 1U);
  EXPECT_EQ(handler.metrics()->code_200.load(), 0U);
}

}  // namespace
}  // namespace ceems
