#include "units/sub_collectors.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/testing/test_support.h"

namespace ceems::units {
namespace {

class FakeSub : public UnitSubCollector {
 public:
  FakeSub(std::string family, Status result, std::vector<std::string> caps = {})
      : family_(std::move(family)), result_(std::move(result)), caps_(std::move(caps)) {}
  Status update(std::span<const ComputeUnit> units, MetricBatch& out) override {
    thread = std::this_thread::get_id();
    ran.store(true, std::memory_order_release);
    for (const auto& u : units) out.add({family_, "F.", MetricType::kGauge, {"uuid"}}, {u.uuid}, 1);
    return result_;
  }
  void stop() override { stopped = true; }
  std::vector<std::string> capabilities() const override { return caps_; }
  std::thread::id thread;
  std::atomic<bool> ran{false};
  bool stopped = false;

 private:
  std::string family_;
  Status result_;
  std::vector<std::string> caps_;
};

TEST(UnitsSubCollectors, RunBesideOwnWorkAndMergeTheirBatches) {
  SubCollectors subs;
  auto a = std::make_unique<FakeSub>("a_metric", Status::Ok(), std::vector<std::string>{"cap_perfmon"});
  auto b = std::make_unique<FakeSub>("b_metric", Error(ErrorKind::kNoData, "no devices"));
  auto c = std::make_unique<FakeSub>("c_metric", Error(ErrorKind::kIo, "tool failed"));
  FakeSub* ap = a.get();
  FakeSub* cp = c.get();
  subs.add("a", std::move(a));
  subs.add("b", std::move(b));
  subs.add("c", std::move(c));
  EXPECT_EQ(subs.capabilities(), (std::vector<std::string>{"cap_perfmon"}));

  std::vector<ComputeUnit> units(2);
  units[0].uuid = "1";
  units[1].uuid = "2";
  MetricBatch out;
  test_support::LogCapture logs(log::Level::kDebug);
  subs.update(
      units, out,
      [&] {
        // The own work stays on this thread; it waits (boundedly) for `a`, so that
        // this thread cannot have taken `a` too.
        for (int i = 0; i < 10000 && !ap->ran.load(std::memory_order_acquire); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        out.add({"own", "O.", MetricType::kGauge, {}}, {}, 7);
      },
      log::Logger());

  EXPECT_NE(ap->thread, std::this_thread::get_id());
  std::string text = test_support::render(out);
  EXPECT_NE(text.find("own 7\n"), std::string::npos);
  EXPECT_NE(text.find("a_metric{uuid=\"2\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("b_metric{uuid=\"1\"} 1\n"), std::string::npos);  // data is kept even with an error
  EXPECT_NE(text.find("c_metric{uuid=\"1\"} 1\n"), std::string::npos);
  std::string log = logs.text();
  EXPECT_NE(log.find("level=DEBUG"), std::string::npos);
  EXPECT_NE(log.find("sub_collector=b"), std::string::npos);
  EXPECT_NE(log.find("level=ERROR"), std::string::npos);
  EXPECT_NE(log.find("sub_collector=c err=\"tool failed\""), std::string::npos) << log;

  subs.stop();
  EXPECT_TRUE(ap->stopped);
  EXPECT_TRUE(cp->stopped);
}

TEST(UnitsSubCollectors, EmptySetJustRunsOwnWork) {
  SubCollectors subs;
  EXPECT_TRUE(subs.empty());
  MetricBatch out;
  bool ran = false;
  subs.update(
      {}, out, [&] { ran = true; }, log::Logger());
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace ceems::units
