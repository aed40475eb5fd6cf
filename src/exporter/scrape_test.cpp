#include "exporter/scrape.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/testing/test_support.h"

namespace ceems {
namespace {

class FakeCollector : public Collector {
 public:
  FakeCollector(std::string metric, Status result, std::chrono::milliseconds delay = {})
      : metric_(std::move(metric)), result_(std::move(result)), delay_(delay) {}
  Status update(MetricBatch& out) override {
    int now = ++active_;
    max_active_ = std::max(max_active_.load(), now);
    std::this_thread::sleep_for(delay_);
    out.add({metric_, "Fake.", MetricType::kGauge, {"hostname"}}, {""}, ++calls_);
    --active_;
    return result_;
  }
  std::atomic<int> calls_{0};
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};

 private:
  std::string metric_;
  Status result_;
  std::chrono::milliseconds delay_;
};

TEST(ExporterScrapeEngine, EmitsScrapeMetricsPerCollector) {
  std::vector<NamedCollector> cs;
  cs.push_back({"good", std::make_unique<FakeCollector>("ceems_good", Status::Ok())});
  cs.push_back({"bad", std::make_unique<FakeCollector>("ceems_bad", Error(ErrorKind::kIo, "boom"))});
  cs.push_back({"empty", std::make_unique<FakeCollector>("ceems_empty", no_data("nothing here"))});
  ScrapeEngine engine(std::move(cs), log::Logger(), false);
  std::string page = engine.scrape();
  EXPECT_NE(page.find("ceems_scrape_collector_success{collector=\"good\"} 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("ceems_scrape_collector_success{collector=\"bad\"} 0\n"), std::string::npos);
  EXPECT_NE(page.find("ceems_scrape_collector_success{collector=\"empty\"} 0\n"), std::string::npos);
  EXPECT_NE(page.find("# TYPE ceems_scrape_collector_duration_seconds gauge"), std::string::npos);
  EXPECT_NE(page.find("ceems_exporter_build_info{branch="), std::string::npos);
  EXPECT_NE(page.find("goos=\"linux\""), std::string::npos);
  EXPECT_NE(page.find("ceems_good{hostname=\"\"} 1\n"), std::string::npos);
  EXPECT_EQ(page.find("process_"), std::string::npos);
}

TEST(ExporterScrapeEngine, FailuresAreLoggedOncePerSourceAndNoDataOnceAtInfo) {
  test_support::LogCapture capture;
  std::vector<NamedCollector> cs;
  cs.push_back({"bad", std::make_unique<FakeCollector>("ceems_bad", Error(ErrorKind::kIo, "boom"))});
  cs.push_back({"empty", std::make_unique<FakeCollector>("ceems_empty", no_data("nothing here"))});
  ScrapeEngine engine(std::move(cs), log::Logger(), false);
  for (int i = 0; i < 20; ++i) (void)engine.scrape();
  const std::string text = capture.text();
  auto count = [&](std::string_view needle) {
    size_t n = 0;
    for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
    return n;
  };
  // The varying duration does not make each failure a new source.
  EXPECT_EQ(count("msg=\"collector failed\" name=bad"), 1U) << text;
  EXPECT_EQ(count("level=INFO"), 1U) << text;
  EXPECT_EQ(count("collector has no data on this host"), 1U) << text;
}

TEST(ExporterScrapeEngine, CollectorsRunConcurrentlyWithinAScrape) {
  std::vector<NamedCollector> cs;
  for (int i = 0; i < 3; ++i) {
    cs.push_back(
        {"c" + std::to_string(i), std::make_unique<FakeCollector>("ceems_c" + std::to_string(i), Status::Ok(),
                                                                  std::chrono::milliseconds(200))});
  }
  ScrapeEngine engine(std::move(cs), log::Logger(), false);
  auto start = std::chrono::steady_clock::now();
  (void)engine.scrape();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(550));
}

TEST(ExporterScrapeEngine, ConcurrentScrapesNeverRunOneCollectorTwiceAtOnce) {
  auto c = std::make_unique<FakeCollector>("ceems_x", Status::Ok(), std::chrono::milliseconds(20));
  FakeCollector* raw = c.get();
  std::vector<NamedCollector> cs;
  cs.push_back({"x", std::move(c)});
  ScrapeEngine engine(std::move(cs), log::Logger(), false);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) threads.emplace_back([&] { (void)engine.scrape(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(raw->calls_.load(), 6);
  EXPECT_EQ(raw->max_active_.load(), 1);
}

TEST(ExporterScrapeEngine, ExporterMetricsWhenEnabled) {
  ScrapeEngine engine({}, log::Logger(), true);
  engine.handler_metrics().code_200 += 2;
  std::string page = engine.scrape();
  EXPECT_NE(page.find("# TYPE process_cpu_seconds_total counter"), std::string::npos);
  EXPECT_NE(page.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(page.find("process_open_fds "), std::string::npos);
  EXPECT_NE(page.find("promhttp_metric_handler_requests_total{code=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(page.find("promhttp_metric_handler_requests_total{code=\"503\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace ceems
