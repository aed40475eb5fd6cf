// Real perf_event_open on a child process: the collector built from flags counts
// software events of a process that burns CPU and touches memory, also when the
// process sits in a Slurm-like job cgroup. Skips where the kernel refuses perf.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/strings.h"
#include "core/testing/test_support.h"
#include "perf/event_opener.h"
#include "perf/perf.h"

namespace ceems::perf {
namespace {

using ::testing::HasSubstr;

double now_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A child that waits for "go", burns ~200 ms of CPU while faulting in 8 MiB, reports
// "done" and blocks until the parent lets it exit.
class BusyChild {
 public:
  BusyChild() {
    if (::pipe(go_) != 0 || ::pipe(done_) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) run();
    ::close(go_[0]);
    ::close(done_[1]);
  }
  ~BusyChild() {
    if (pid_ <= 0) return;
    ::close(go_[1]);
    ::close(done_[0]);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  BusyChild(const BusyChild&) = delete;
  BusyChild& operator=(const BusyChild&) = delete;

  pid_t pid() const { return pid_; }
  bool work() const {
    char c = 'g';
    if (::write(go_[1], &c, 1) != 1) return false;
    return ::read(done_[0], &c, 1) == 1;
  }

 private:
  [[noreturn]] void run() const {
    ::close(go_[1]);
    ::close(done_[0]);
    char c = 0;
    if (::read(go_[0], &c, 1) != 1) ::_exit(1);
    constexpr size_t kBytes = 8U << 20U;
    void* mem = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) ::_exit(1);
    auto* bytes = static_cast<volatile char*>(mem);
    double start = now_seconds();
    size_t i = 0;
    while (now_seconds() - start < 0.2) {
      bytes[(i * 4096) % kBytes] = static_cast<char>(i);
      ++i;
    }
    if (::write(done_[1], &c, 1) != 1) ::_exit(1);
    // Blocks (a context switch) until the parent closes its end.
    while (::read(go_[0], &c, 1) == 1) {
    }
    ::_exit(0);
  }

  int go_[2] = {-1, -1};
  int done_[2] = {-1, -1};
  pid_t pid_ = -1;
};

std::optional<double> value(const MetricBatch& batch, std::string_view metric, std::string_view uuid) {
  for (const auto& fam : batch.families()) {
    if (fam->desc().name != metric) continue;
    for (size_t i = 0; i < fam->size(); ++i) {
      if (fam->label_value(i, 2) == uuid) return fam->value(i);
    }
  }
  return std::nullopt;
}

// Why this host cannot run the test, or empty.
std::string perf_refusal(pid_t pid) {
  KernelEventOpener opener;
  const EventDef* page_faults = class_events(EventClass::kSoftware).front();
  auto fd = opener.open(pid, *page_faults);
  if (!fd.ok()) {
    std::ifstream paranoid("/proc/sys/kernel/perf_event_paranoid");
    std::string level;
    paranoid >> level;
    return "perf_event_open refused (perf_event_paranoid=" + level + ", euid " + std::to_string(::geteuid()) +
           "): " + fd.error().message();
  }
  opener.close(*fd);
  return {};
}

struct Scrapes {
  MetricBatch first;
  MetricBatch second;
};

// Two updates around the child's work, with the collector made from flags.
Scrapes run_collector(const std::vector<std::string>& args, const BusyChild& child,
                      const std::vector<pid_t>& procs) {
  FlagSet flags("ceems_exporter");
  register_perf_flags(flags);
  EXPECT_TRUE(flags.parse(args).ok());
  HostFs host("/proc", "/sys", "/sys/fs/cgroup");
  NoPrivileges privileges;
  auto collector = make_collector(flags, host, privileges, {"slurm", "testhost"}, log::Logger());
  EXPECT_TRUE(collector.ok()) << collector.error().message();
  Scrapes s;
  if (!collector.ok()) return s;

  ComputeUnit unit;
  unit.id = "1";
  unit.uuid = "1";
  unit.procs = procs;
  std::vector<ComputeUnit> units = {unit};
  EXPECT_TRUE((*collector)->update(units, s.first).ok());
  EXPECT_TRUE(child.work());
  // Let the child block again so that its switch-out is counted.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE((*collector)->update(units, s.second).ok());
  (*collector)->stop();
  return s;
}

void expect_software_counts(const MetricBatch& batch) {
  auto page_faults = value(batch, "ceems_perf_page_faults_total", "1");
  auto minor_faults = value(batch, "ceems_perf_minor_faults_total", "1");
  auto switches = value(batch, "ceems_perf_context_switches_total", "1");
  ASSERT_TRUE(page_faults.has_value()) << test_support::render(batch);
  // 8 MiB touched page by page: at least 2048 faults.
  EXPECT_GE(*page_faults, 2048.0);
  ASSERT_TRUE(minor_faults.has_value());
  EXPECT_GE(*minor_faults, 2048.0);
  ASSERT_TRUE(switches.has_value()) << test_support::render(batch);
  EXPECT_GT(*switches, 0.0);
}

TEST(PerfIntegration, SoftwareEventsOfARealProcess) {
  BusyChild child;
  ASSERT_GT(child.pid(), 0);
  if (std::string why = perf_refusal(child.pid()); !why.empty()) GTEST_SKIP() << why;

  Scrapes s = run_collector({"--collector.perf.software-events"}, child, {child.pid()});
  expect_software_counts(s.second);
  std::string text = test_support::render(s.second);
  EXPECT_THAT(text,
              HasSubstr("ceems_perf_page_faults_total{hostname=\"testhost\",manager=\"slurm\",uuid=\"1\"}"));
  // The first scrape ran before the child worked.
  EXPECT_LT(value(s.first, "ceems_perf_page_faults_total", "1").value_or(0), 2048.0);
}

TEST(PerfIntegration, HardwareRequestedWithoutPmuStillCountsSoftware) {
  BusyChild child;
  ASSERT_GT(child.pid(), 0);
  if (std::string why = perf_refusal(child.pid()); !why.empty()) GTEST_SKIP() << why;
  KernelEventOpener opener;
  bool has_pmu = opener.probe(all_events()[0]).ok();

  test_support::LogCapture log;
  Scrapes s = run_collector({"--collector.perf.hardware-events", "--collector.perf.software-events",
                             "--collector.perf.hardware-cache-events"},
                            child, {child.pid()});
  expect_software_counts(s.second);
  std::string text = log.text();
  if (has_pmu) {
    EXPECT_GT(value(s.second, "ceems_perf_instructions_total", "1").value_or(0), 0.0);
  } else {
    size_t first = text.find("level=WARN");
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_THAT(text, HasSubstr("classes=hardware,cache"));
    EXPECT_EQ(text.find("level=WARN", first + 1), std::string::npos) << text;
    EXPECT_EQ(value(s.second, "ceems_perf_cpucycles_total", "1"), std::nullopt);
  }
}

// The child moved into <cgroupfs>/cpuacct/ceems_perf_test_<pid>/job_1, its PID read
// back from cgroup.procs as the cgroup walker does.
class JobCgroup {
 public:
  explicit JobCgroup(pid_t pid) {
    std::filesystem::path base = "/sys/fs/cgroup/cpuacct";
    if (::geteuid() != 0 || ::access(base.c_str(), W_OK) != 0) {
      why_ = "needs root and a writable " + base.string();
      return;
    }
    parent_ = base / ("ceems_perf_test_" + std::to_string(::getpid()));
    dir_ = parent_ / "job_1";
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) {
      why_ = "cannot create " + dir_.string() + ": " + ec.message();
      return;
    }
    std::ofstream(dir_ / "cgroup.procs") << pid << "\n";
    std::ifstream procs(dir_ / "cgroup.procs");
    std::string line;
    while (std::getline(procs, line)) {
      if (auto v = parse_i64(line)) procs_.push_back(static_cast<pid_t>(*v));
    }
  }
  ~JobCgroup() {
    if (parent_.empty()) return;
    // Any task still in the group goes back to the root so the directories can go.
    std::ifstream procs(dir_ / "cgroup.procs");
    std::string line;
    while (std::getline(procs, line)) std::ofstream("/sys/fs/cgroup/cpuacct/cgroup.procs") << line << "\n";
    ::rmdir(dir_.c_str());
    ::rmdir(parent_.c_str());
  }
  JobCgroup(const JobCgroup&) = delete;
  JobCgroup& operator=(const JobCgroup&) = delete;

  const std::string& why_not() const { return why_; }
  const std::vector<pid_t>& procs() const { return procs_; }

 private:
  std::filesystem::path parent_;
  std::filesystem::path dir_;
  std::vector<pid_t> procs_;
  std::string why_;
};

TEST(PerfIntegration, ProcessInASlurmJobCgroup) {
  BusyChild child;
  ASSERT_GT(child.pid(), 0);
  if (std::string why = perf_refusal(child.pid()); !why.empty()) GTEST_SKIP() << why;
  JobCgroup cgroup(child.pid());
  if (!cgroup.why_not().empty()) GTEST_SKIP() << cgroup.why_not();
  ASSERT_EQ(cgroup.procs(), std::vector<pid_t>{child.pid()});

  Scrapes s = run_collector({"--collector.perf.software-events"}, child, cgroup.procs());
  expect_software_counts(s.second);
}

}  // namespace
}  // namespace ceems::perf
