#include "perf/perf_collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/testing/recording_privileges.h"
#include "core/testing/test_support.h"
#include "perf/perf.h"

namespace ceems::perf {
namespace {

using namespace std::string_literals;
using test_support::LogCapture;
using test_support::RecordingPrivileges;
using test_support::TempTree;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const EventDef& event(std::string_view profiler) {
  for (const EventDef& e : all_events()) {
    if (e.profiler == profiler) return e;
  }
  ADD_FAILURE() << profiler;
  return all_events()[0];
}

// The kernel as the fake opener sees it: every fd ever opened, the counter values
// a test sets per (pid, event), and the failures to inject.
struct FakeKernel {
  struct Fd {
    pid_t pid;
    const EventDef* event;
    bool enabled = false;
    bool open = true;
  };
  std::map<int, Fd> fds;
  int next_fd = 100;
  std::map<std::pair<pid_t, size_t>, CounterReading> readings;
  std::set<size_t> unsupported;  // event indexes that fail with ENOENT
  std::set<pid_t> refused;       // pids whose opens fail with EACCES
  std::set<pid_t> enable_fails;
  std::set<pid_t> read_fails;
  Status probe_result = Status::Ok();
  int probes = 0;

  void set(pid_t pid, std::string_view profiler, CounterReading r) {
    readings[{pid, event(profiler).index}] = r;
  }
  int opens(pid_t pid) const {
    int n = 0;
    for (const auto& [fd, f] : fds) n += f.pid == pid ? 1 : 0;
    return n;
  }
  size_t live() const {
    size_t n = 0;
    for (const auto& [fd, f] : fds) n += f.open ? 1 : 0;
    return n;
  }
  size_t live_of(pid_t pid) const {
    size_t n = 0;
    for (const auto& [fd, f] : fds) n += (f.open && f.pid == pid) ? 1 : 0;
    return n;
  }
};

class FakeOpener : public EventOpener {
 public:
  explicit FakeOpener(FakeKernel& k) : k_(&k) {}
  Result<int> open(pid_t pid, const EventDef& e) override {
    if (k_->unsupported.count(e.index) != 0)
      return Error::from_errno(ENOENT, "open " + std::string(e.profiler));
    if (k_->refused.count(pid) != 0) return Error::from_errno(EACCES, "open " + std::string(e.profiler));
    int fd = k_->next_fd++;
    k_->fds.emplace(fd, FakeKernel::Fd{pid, &e});
    return fd;
  }
  Status enable(int fd) override {
    auto& f = k_->fds.at(fd);
    EXPECT_TRUE(f.open);
    if (k_->enable_fails.count(f.pid) != 0) return Error::from_errno(EINVAL, "enable");
    f.enabled = true;
    return Status::Ok();
  }
  Status disable(int fd) override {
    k_->fds.at(fd).enabled = false;
    return Status::Ok();
  }
  Result<CounterReading> read(int fd) override {
    const auto& f = k_->fds.at(fd);
    EXPECT_TRUE(f.open);
    if (k_->read_fails.count(f.pid) != 0) return Error::from_errno(EIO, "read");
    auto it = k_->readings.find({f.pid, f.event->index});
    return it == k_->readings.end() ? CounterReading{} : it->second;
  }
  void close(int fd) override {
    auto& f = k_->fds.at(fd);
    EXPECT_TRUE(f.open) << "double close of fd " << fd;
    f.open = false;
  }
  Status probe(const EventDef& e) override {
    ++k_->probes;
    EXPECT_EQ(e.metric, "ceems_perf_cpucycles_total");
    return k_->probe_result;
  }

 private:
  FakeKernel* k_;
};

ComputeUnit unit(const std::string& uuid, std::vector<pid_t> procs) {
  ComputeUnit u;
  u.id = uuid;
  u.uuid = uuid;
  u.procs = std::move(procs);
  return u;
}

std::optional<double> value(const MetricBatch& batch, std::string_view metric, std::string_view uuid) {
  for (const auto& fam : batch.families()) {
    if (fam->desc().name != metric) continue;
    for (size_t i = 0; i < fam->size(); ++i) {
      if (fam->label_value(i, 2) == uuid) return fam->value(i);
    }
  }
  return std::nullopt;
}

class PerfCollectorTest : public ::testing::Test {
 protected:
  PerfCollectorTest() : host_(tree_.path("proc"), tree_.path("sys"), tree_.path("cgroup")) {}

  CollectorConfig config(std::initializer_list<EventClass> classes, std::string manager = "slurm") {
    CollectorConfig c;
    c.opts = {std::move(manager), "node1"};
    for (EventClass cls : classes) c.events[static_cast<size_t>(cls)] = class_events(cls);
    return c;
  }
  std::unique_ptr<PerfCollector> make(CollectorConfig c) {
    return std::make_unique<PerfCollector>(std::move(c), host_, privileges_,
                                           std::make_unique<FakeOpener>(kernel_), log::Logger());
  }
  MetricBatch scrape(PerfCollector& c, const std::vector<ComputeUnit>& units) {
    MetricBatch out;
    Status st = c.update(units, out);
    EXPECT_TRUE(st.ok()) << st.error().message();
    return out;
  }
  void process(pid_t pid, const std::string& cmdline, const std::string& environ) const {
    tree_.write("proc/" + std::to_string(pid) + "/cmdline", cmdline);
    tree_.write("proc/" + std::to_string(pid) + "/environ", environ);
  }

  TempTree tree_{"ceems_perf_test"};
  HostFs host_;
  FakeKernel kernel_;
  RecordingPrivileges privileges_;
};

TEST_F(PerfCollectorTest, OpensOncePerNewPidAndClosesWhenItLeaves) {
  auto c = make(config({EventClass::kSoftware}));
  scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(kernel_.opens(10), 5);
  EXPECT_EQ(kernel_.opens(11), 5);
  for (const auto& [fd, f] : kernel_.fds) EXPECT_TRUE(f.enabled) << fd;
  scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(kernel_.opens(10), 5);
  EXPECT_EQ(kernel_.fds.size(), 10U);

  scrape(*c, {unit("1", {11}), unit("2", {12})});
  EXPECT_EQ(kernel_.live_of(10), 0U);
  EXPECT_EQ(kernel_.live_of(11), 5U);
  EXPECT_EQ(kernel_.opens(12), 5);
  EXPECT_EQ(c->profiler_count(EventClass::kSoftware), 2U);
  for (const auto& [fd, f] : kernel_.fds) EXPECT_EQ(f.enabled, f.open) << fd;

  // Opening is privileged with cap_perfmon only, and only asked for when some PID is
  // new (scrapes 1 and 3); nothing else asked for privileges.
  ASSERT_EQ(privileges_.calls().size(), 2U);
  for (const auto& [context, caps] : privileges_.calls()) {
    EXPECT_EQ(context, kOpenContext);
    EXPECT_THAT(caps, ElementsAre("cap_perfmon"));
  }
}

TEST_F(PerfCollectorTest, SoftwareSumsRawValuesOfCurrentPids) {
  auto c = make(config({EventClass::kSoftware}));
  kernel_.set(10, "PageFault", {100, 5, 1});
  kernel_.set(11, "PageFault", {50, 5, 5});
  kernel_.set(11, "ContextSwitch", {7, 5, 5});
  kernel_.set(12, "PageFault", {3, 5, 5});
  MetricBatch out = scrape(*c, {unit("1", {10, 11}), unit("2", {12})});
  // Raw values: no scaling even though pid 10 ran a fifth of the time.
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "1"), 150.0);
  EXPECT_EQ(value(out, "ceems_perf_context_switches_total", "1"), 7.0);
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "2"), 3.0);
  // Zero values are not exported.
  EXPECT_EQ(value(out, "ceems_perf_context_switches_total", "2"), std::nullopt);
  EXPECT_EQ(value(out, "ceems_perf_major_faults_total", "1"), std::nullopt);

  // No state: a PID leaving lowers the unit's value.
  out = scrape(*c, {unit("1", {11}), unit("2", {12})});
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "1"), 50.0);
}

TEST_F(PerfCollectorTest, MetricsAreCountersWithManagerHostnameUuid) {
  auto c = make(config({EventClass::kSoftware}, "libvirt"));
  kernel_.set(10, "MinorFault", {9, 1, 1});
  MetricBatch out = scrape(*c, {unit("6f2a", {10})});
  std::string text = test_support::render(out);
  EXPECT_THAT(
      text,
      HasSubstr("# HELP ceems_perf_minor_faults_total Number of minor page faults\n"
                "# TYPE ceems_perf_minor_faults_total counter\n"
                "ceems_perf_minor_faults_total{hostname=\"node1\",manager=\"libvirt\",uuid=\"6f2a\"} 9\n"));
  EXPECT_EQ(out.sample_count(), 1U);
}

TEST_F(PerfCollectorTest, HardwareCountersAreScaledAndAccumulated) {
  auto c = make(config({EventClass::kHardware}));
  kernel_.set(10, "CpuCycles", {1000, 100, 50});
  MetricBatch out = scrape(*c, {unit("1", {10})});
  // First reading against zeros: round(100 / 50 * 1000).
  EXPECT_EQ(value(out, "ceems_perf_cpucycles_total", "1"), 2000.0);

  kernel_.set(10, "CpuCycles", {1600, 200, 150});
  out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(value(out, "ceems_perf_cpucycles_total", "1"), 2600.0);

  // Not running since the last read: the raw delta.
  kernel_.set(10, "CpuCycles", {1700, 300, 150});
  out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(value(out, "ceems_perf_cpucycles_total", "1"), 2700.0);

  // A value that went backwards is taken as a wrap: last + cur.
  kernel_.set(10, "CpuCycles", {50, 400, 250});
  out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(value(out, "ceems_perf_cpucycles_total", "1"), 2700.0 + 1750.0);
}

TEST(PerfScaledDelta, Formula) {
  EXPECT_EQ(scaled_delta({}, {1000, 100, 50}), 2000.0);
  EXPECT_EQ(scaled_delta({100, 10, 10}, {110, 13, 12}), 15.0);  // round(3 / 2 * 10)
  EXPECT_EQ(scaled_delta({100, 10, 10}, {101, 13, 12}), 2.0);   // round(1.5)
  EXPECT_EQ(scaled_delta({100, 10, 10}, {150, 20, 10}), 50.0);
  EXPECT_EQ(scaled_delta({100, 10, 10}, {40, 20, 20}), 140.0);
  EXPECT_EQ(scaled_delta({}, {}), 0.0);
}

TEST_F(PerfCollectorTest, AccumulatedTotalsOutliveExitedPidsButNotTheirUnit) {
  auto c = make(config({EventClass::kHardware, EventClass::kCache}));
  kernel_.set(10, "CpuInstr", {100, 1, 1});
  kernel_.set(11, "CpuInstr", {40, 1, 1});
  kernel_.set(11, "LLReadMiss", {8, 1, 1});
  MetricBatch out = scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(value(out, "ceems_perf_instructions_total", "1"), 140.0);
  EXPECT_EQ(value(out, "ceems_perf_cache_ll_read_misses_total", "1"), 8.0);

  kernel_.set(10, "CpuInstr", {130, 2, 2});
  out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(value(out, "ceems_perf_instructions_total", "1"), 170.0);
  EXPECT_EQ(value(out, "ceems_perf_cache_ll_read_misses_total", "1"), 8.0);
  EXPECT_EQ(kernel_.live_of(11), 0U);

  // The unit leaves: its totals go; when it comes back its PID starts from zero.
  out = scrape(*c, {unit("2", {12})});
  EXPECT_EQ(value(out, "ceems_perf_instructions_total", "1"), std::nullopt);
  out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(value(out, "ceems_perf_instructions_total", "1"), 130.0);
}

TEST_F(PerfCollectorTest, EnvVarGateKeepsProcessesWithTheVariableWhateverItsValue) {
  CollectorConfig cfg = config({EventClass::kSoftware});
  cfg.env_vars = {"CEEMS_PERF", "ENABLE_PERF"};
  auto c = make(std::move(cfg));
  process(10, "/home/u/a.out\0-n\0"s, "PATH=/bin\0CEEMS_PERF=0\0"s);
  process(11, "/home/u/b.out\0"s, "PATH=/bin\0"s);
  process(12, "slurmstepd: [1.batch]\0"s, "CEEMS_PERF=1\0"s);
  process(13, "", "CEEMS_PERF=1\0"s);  // kernel thread / zombie: no cmdline
  process(14, "/bin/bash\0/spool/job1/slurm_script\0"s, "ENABLE_PERF=yes\0"s);
  process(15, "python\0train.py\0"s, "ENABLE_PERF=false\0"s);
  // pid 16 has no /proc entry at all.
  kernel_.set(10, "PageFault", {4, 1, 1});
  kernel_.set(11, "PageFault", {1000, 1, 1});
  kernel_.set(12, "PageFault", {1000, 1, 1});
  kernel_.set(15, "PageFault", {6, 1, 1});

  MetricBatch out = scrape(*c, {unit("1", {10, 11, 12, 13, 14, 16}), unit("2", {11}), unit("3", {15})});
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "1"), 4.0);
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "2"), std::nullopt);
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "3"), 6.0);
  for (pid_t pid : {11, 12, 13, 14, 16}) EXPECT_EQ(kernel_.opens(pid), 0) << pid;
  EXPECT_EQ(kernel_.opens(10), 5);
  EXPECT_EQ(kernel_.opens(15), 5);

  ASSERT_FALSE(privileges_.calls().empty());
  EXPECT_EQ(privileges_.calls().front().first, kFilterContext);
  EXPECT_THAT(privileges_.calls().front().second, ElementsAre("cap_sys_ptrace", "cap_dac_read_search"));
}

TEST_F(PerfCollectorTest, HelpersAreOnlyIgnoredForSlurm) {
  CollectorConfig cfg = config({EventClass::kSoftware}, "libvirt");
  cfg.env_vars = {"CEEMS_PERF"};
  auto c = make(std::move(cfg));
  process(12, "slurmstepd: [1.batch]\0"s, "CEEMS_PERF=1\0"s);
  process(13, "sleep\0100\0"s, "CEEMS_PERF=1\0"s);
  scrape(*c, {unit("1", {12, 13})});
  EXPECT_EQ(kernel_.opens(12), 5);
  EXPECT_EQ(kernel_.opens(13), 5);
}

TEST_F(PerfCollectorTest, FilteringFailureFailsTheUpdate) {
  CollectorConfig cfg = config({EventClass::kSoftware});
  cfg.env_vars = {"CEEMS_PERF"};
  auto c = make(std::move(cfg));
  privileges_.refuse(std::string(kFilterContext));
  MetricBatch out;
  Status st = c->update(std::vector<ComputeUnit>{unit("1", {10})}, out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("refused"));
  EXPECT_TRUE(kernel_.fds.empty());
}

TEST_F(PerfCollectorTest, Capabilities) {
  EXPECT_THAT(make(config({EventClass::kSoftware}))->capabilities(), ElementsAre("cap_perfmon"));
  CollectorConfig cfg = config({EventClass::kSoftware});
  cfg.env_vars = {"X"};
  EXPECT_THAT(make(std::move(cfg))->capabilities(),
              ElementsAre("cap_perfmon", "cap_sys_ptrace", "cap_dac_read_search"));
}

TEST_F(PerfCollectorTest, NoPmuDropsHardwareAndCacheWithOneWarning) {
  LogCapture log;
  kernel_.probe_result = Error::from_errno(ENOENT, "perf_event_open CpuCycles for pid 0");
  auto c = make(config({EventClass::kHardware, EventClass::kSoftware, EventClass::kCache}));
  EXPECT_EQ(kernel_.probes, 1);
  EXPECT_FALSE(c->class_active(EventClass::kHardware));
  EXPECT_FALSE(c->class_active(EventClass::kCache));
  EXPECT_TRUE(c->class_active(EventClass::kSoftware));
  kernel_.set(10, "PageFault", {5, 1, 1});
  scrape(*c, {unit("1", {10})});
  MetricBatch out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "1"), 5.0);
  EXPECT_EQ(kernel_.opens(10), 5);  // software only

  std::string text = log.text();
  EXPECT_THAT(text, HasSubstr("level=WARN"));
  EXPECT_THAT(text, HasSubstr("classes=hardware,cache"));
  size_t first = text.find("level=WARN");
  EXPECT_EQ(text.find("level=WARN", first + 1), std::string::npos) << text;
  EXPECT_THAT(text, Not(HasSubstr("level=ERROR"))) << text;
}

TEST_F(PerfCollectorTest, NoPmuWithOnlyHardwareRequestedStillStarts) {
  LogCapture log;
  kernel_.probe_result = Error(ErrorKind::kNotFound, "Operation not supported");
  auto c = make(config({EventClass::kHardware}));
  MetricBatch out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(out.sample_count(), 0U);
  EXPECT_TRUE(kernel_.fds.empty());
  EXPECT_THAT(log.text(), HasSubstr("classes=hardware "));
}

TEST_F(PerfCollectorTest, InconclusiveProbeKeepsTheClasses) {
  LogCapture log;
  kernel_.probe_result = Error::from_errno(EACCES, "perf_event_open");
  auto c = make(config({EventClass::kCache}));
  EXPECT_TRUE(c->class_active(EventClass::kCache));
  EXPECT_THAT(log.text(), Not(HasSubstr("level=WARN")));
}

TEST_F(PerfCollectorTest, SoftwareOnlyNeverProbes) {
  auto c = make(config({EventClass::kSoftware}));
  EXPECT_EQ(kernel_.probes, 0);
}

TEST_F(PerfCollectorTest, UnsupportedEventsAreMissingAndNotRetried) {
  LogCapture log;
  process(10, "/home/u/app\0--x\0"s, "");
  kernel_.unsupported = {event("RefCpuCycles").index, event("CpuCycles").index};
  auto c = make(config({EventClass::kHardware}));
  kernel_.set(10, "CpuInstr", {10, 1, 1});
  MetricBatch out = scrape(*c, {unit("1", {10})});
  EXPECT_EQ(kernel_.opens(10), 5);
  EXPECT_EQ(value(out, "ceems_perf_instructions_total", "1"), 10.0);
  std::string text = log.text();
  EXPECT_THAT(text, HasSubstr("pid=10"));
  EXPECT_THAT(text, HasSubstr("cmdline=\"/home/u/app --x\""));
  EXPECT_THAT(text, HasSubstr("RefCpuCycles"));

  scrape(*c, {unit("1", {10})});
  EXPECT_EQ(kernel_.opens(10), 5);
}

TEST_F(PerfCollectorTest, ProfilerWithNoEventIsKept) {
  kernel_.refused = {10};
  auto c = make(config({EventClass::kSoftware}));
  scrape(*c, {unit("1", {10})});
  EXPECT_EQ(c->profiler_count(EventClass::kSoftware), 1U);
  kernel_.refused.clear();
  scrape(*c, {unit("1", {10})});
  EXPECT_EQ(kernel_.opens(10), 0);
}

TEST_F(PerfCollectorTest, EnableFailureClosesEveryFdOfTheProfiler) {
  kernel_.enable_fails = {10};
  auto c = make(config({EventClass::kSoftware}));
  scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(kernel_.opens(10), 5);
  EXPECT_EQ(kernel_.live_of(10), 0U);  // the original leaked these
  EXPECT_EQ(kernel_.live_of(11), 5U);
  EXPECT_EQ(c->profiler_count(EventClass::kSoftware), 1U);
  // Discarded, so retried on the next scrape.
  kernel_.enable_fails.clear();
  scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(kernel_.opens(10), 10);
  EXPECT_EQ(kernel_.live_of(10), 5U);
}

TEST_F(PerfCollectorTest, ReadErrorsSkipThePid) {
  LogCapture log;
  auto c = make(config({EventClass::kHardware, EventClass::kSoftware}));
  kernel_.set(10, "PageFault", {3, 1, 1});
  kernel_.set(11, "PageFault", {4, 1, 1});
  kernel_.set(10, "CpuCycles", {30, 1, 1});
  kernel_.set(11, "CpuCycles", {40, 1, 1});
  kernel_.read_fails = {11};
  MetricBatch out = scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(value(out, "ceems_perf_page_faults_total", "1"), 3.0);
  EXPECT_EQ(value(out, "ceems_perf_cpucycles_total", "1"), 30.0);
  EXPECT_THAT(log.text(), HasSubstr("failed to read perf counters"));
  EXPECT_THAT(log.text(), HasSubstr("pid 11"));
  // Once readable again, its first contribution is its whole count.
  kernel_.read_fails.clear();
  out = scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(value(out, "ceems_perf_cpucycles_total", "1"), 70.0);
}

TEST_F(PerfCollectorTest, FailedPrivilegedOpenClosesEveryProfiler) {
  LogCapture log;
  auto c = make(config({EventClass::kSoftware}));
  scrape(*c, {unit("1", {10})});
  EXPECT_EQ(kernel_.live(), 5U);
  privileges_.refuse(std::string(kOpenContext));
  // A new PID makes the privileged action run (and fail).
  MetricBatch out = scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(kernel_.live(), 0U);
  EXPECT_EQ(kernel_.opens(11), 0);
  EXPECT_EQ(out.sample_count(), 0U);
}

TEST_F(PerfCollectorTest, NoUnitLeftClosesProfilersAndEmitsNothing) {
  auto c = make(config({EventClass::kSoftware, EventClass::kHardware}));
  kernel_.set(10, "PageFault", {3, 1, 1});
  scrape(*c, {unit("1", {10})});
  EXPECT_EQ(kernel_.live(), 12U);
  MetricBatch out = scrape(*c, {});
  EXPECT_EQ(out.sample_count(), 0U);
  EXPECT_EQ(kernel_.live(), 0U);
}

TEST_F(PerfCollectorTest, StopClosesEverything) {
  auto c = make(config({EventClass::kSoftware, EventClass::kHardware, EventClass::kCache}));
  scrape(*c, {unit("1", {10, 11})});
  EXPECT_EQ(kernel_.live(), 48U);
  c->stop();
  EXPECT_EQ(kernel_.live(), 0U);
  for (const auto& [fd, f] : kernel_.fds) EXPECT_FALSE(f.enabled) << fd;
  c->stop();  // idempotent, and the destructor closes nothing twice
  c.reset();
}

TEST_F(PerfCollectorTest, DestructorClosesFds) {
  auto c = make(config({EventClass::kSoftware}));
  scrape(*c, {unit("1", {10})});
  c.reset();
  EXPECT_EQ(kernel_.live(), 0U);
}

}  // namespace
}  // namespace ceems::perf
