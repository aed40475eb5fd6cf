#include "node/cpu.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/command_runner.h"
#include "core/exposition.h"
#include "core/privileges.h"
#include "core/testing/fake_runner.h"
#include "core/testing/overlay_filesystem.h"
#include "core/testing/test_support.h"

namespace ceems {
namespace {

using test_support::NoCommands;
using test_support::OverlayFilesystem;
using test_support::render;

using ::testing::HasSubstr;

const std::string kTestData = CEEMS_TEST_DATA_DIR;

std::string stat_with(const std::string& cpu_columns) {
  return "cpu  " + cpu_columns + "\ncpu0 " + cpu_columns + "\nctxt 5\n";
}

// ---- parse_cpuinfo ----

TEST(NodeParseCpuinfo, CountsProcessorsAndSumsCoresPerPackage) {
  auto t = parse_cpuinfo(
      "processor\t: 0\nphysical id\t: 0\ncpu cores\t: 2\n\n"
      "processor\t: 1\nphysical id\t: 0\ncpu cores\t: 2\n\n"
      "processor\t: 2\nphysical id\t: 1\ncpu cores\t: 2\n\n"
      "processor\t: 3\nphysical id\t: 1\ncpu cores\t: 3\n");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->logical_cores, 4u);
  EXPECT_EQ(t->physical_cores, 5u);  // the last entry of package 1 wins
}

TEST(NodeParseCpuinfo, WithoutPackageInformation) {
  auto t = parse_cpuinfo("processor : 0\nBogoMIPS : 50.00\n\nprocessor : 1\nBogoMIPS : 50.00\n");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->logical_cores, 2u);
  EXPECT_EQ(t->physical_cores, 0u);
  EXPECT_EQ(cpus_per_core(*t), 1);
}

TEST(NodeParseCpuinfo, IgnoresHeaderLinesBeforeTheFirstProcessor) {
  auto t = parse_cpuinfo("Processor : ARMv7 rev 4 (v7l)\ncpu cores : junk\nprocessor : 0\n");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->logical_cores, 1u);
}

TEST(NodeParseCpuinfo, Malformed) {
  for (const char* text : {"", "\n\n", "processor\n", "vendor_id : GenuineIntel\n"}) {
    auto t = parse_cpuinfo(text);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(t.error().message(), HasSubstr("no processor entries"));
  }
  auto bad_processor = parse_cpuinfo("processor : zero\n");
  ASSERT_FALSE(bad_processor.ok());
  EXPECT_THAT(bad_processor.error().message(), HasSubstr("\"zero\""));
  EXPECT_THAT(bad_processor.error().message(), HasSubstr("line 1"));

  auto bad_cores = parse_cpuinfo("processor : 0\nphysical id : 0\ncpu cores : 4x\n");
  ASSERT_FALSE(bad_cores.ok());
  EXPECT_THAT(bad_cores.error().message(), HasSubstr("\"4x\""));
  EXPECT_THAT(bad_cores.error().message(), HasSubstr("line 3"));

  auto negative = parse_cpuinfo("processor : 0\ncpu cores : -1\n");
  EXPECT_FALSE(negative.ok());
}

TEST(NodeCpusPerCore, IntegerDivisionAtLeastOne) {
  EXPECT_EQ(cpus_per_core({8, 4}), 2);
  EXPECT_EQ(cpus_per_core({8, 3}), 2);
  EXPECT_EQ(cpus_per_core({8, 0}), 1);
  EXPECT_EQ(cpus_per_core({3, 8}), 1);
  EXPECT_EQ(cpus_per_core({0, 0}), 1);
  EXPECT_EQ(cpus_per_core({0, 4}), 1);
}

// ---- parse_proc_stat ----

TEST(NodeParseProcStat, AggregateLineInSecondsAndCpuCount) {
  auto s = parse_proc_stat(
      "cpu  100 200 300 400 500 600 700 800 900 1000\n"
      "cpu0 50 100 150 200 250 300 350 400 450 500\n"
      "cpu1 50 100 150 200 250 300 350 400 450 500\n"
      "intr 10 1 2 3\nctxt 99\nbtime 1700000000\nprocesses 7\nprocs_running 1\nprocs_blocked 0\n"
      "softirq 6 1 2 3\n");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->cpu_count, 2u);
  EXPECT_DOUBLE_EQ(s->total.user, 1);
  EXPECT_DOUBLE_EQ(s->total.nice, 2);
  EXPECT_DOUBLE_EQ(s->total.system, 3);
  EXPECT_DOUBLE_EQ(s->total.idle, 4);
  EXPECT_DOUBLE_EQ(s->total.iowait, 5);
  EXPECT_DOUBLE_EQ(s->total.irq, 6);
  EXPECT_DOUBLE_EQ(s->total.softirq, 7);
  EXPECT_DOUBLE_EQ(s->total.steal, 8);
  EXPECT_DOUBLE_EQ(s->total.guest, 9);
  EXPECT_DOUBLE_EQ(s->total.guest_nice, 10);
}

TEST(NodeParseProcStat, ExtraColumnsIgnoredAndRepeatedCpusCountedOnce) {
  auto s = parse_proc_stat(
      "cpu 1 2 3 4 5 6 7 8 9 10 11 12\ncpu3 1 2 3 4 5 6 7 8 9 10\ncpu3 1 2 3 4 5 6 7 8 9 10\n"
      "cpu7 1 2 3 4 5 6 7 8 9 10\nlonely\n\n");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->cpu_count, 2u);
  EXPECT_DOUBLE_EQ(s->total.guest_nice, 0.1);
}

TEST(NodeParseProcStat, Malformed) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"", "no aggregate \"cpu\" line"},
      {"cpu0 1 2 3 4 5 6 7 8 9 10\n", "no aggregate \"cpu\" line"},
      {"cpu 1 2 3\n", "truncated cpu line"},
      {"cpu 1 2 3 4 5 6 7 8 9 10\ncpu1 1 2\n", "line 2"},
      {"cpu 1 2 x 4 5 6 7 8 9 10\n", "\"x\""},
      {"cpu 1 2 3 4 5 6 7 8 9 nan\n", "\"nan\""},
      {"cpu 1 2 3 4 5 6 7 8 9 10\ncpuX 1 2 3 4 5 6 7 8 9 10\n", "\"cpuX\""},
      {"cpu 1 2 3 4 5 6 7 8 9 10\nbtime soon\n", "\"soon\""},
      {"cpu 1 2 3 4 5 6 7 8 9 10\nintr 5 1 two\n", "\"two\""},
      {"cpu 1 2 3 4 5 6 7 8 9 10\nctxt -1\n", "\"-1\""},
  };
  for (const Case& c : cases) {
    auto s = parse_proc_stat(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(s.error().message(), HasSubstr(c.expect)) << c.text;
  }
}

// ---- smoothing ----

TEST(NodeSmoothCpuTimes, TakesLargerValuesAndKeepsCachedOnDips) {
  CpuTimes cached{10, 1, 5, 100, 2, 0, 1, 0, 0, 0};
  CpuTimes fresh{12, 0.5, 6, 101, 2, 0, 1, 0, 0, 0};
  CpuSmoothing what;
  CpuTimes next = smooth_cpu_times(cached, fresh, &what);
  EXPECT_FALSE(what.reset);
  EXPECT_THAT(what.backwards, ::testing::ElementsAre("nice"));
  EXPECT_DOUBLE_EQ(next.user, 12);
  EXPECT_DOUBLE_EQ(next.nice, 1);  // kept
  EXPECT_DOUBLE_EQ(next.system, 6);
  EXPECT_DOUBLE_EQ(next.idle, 101);
}

TEST(NodeSmoothCpuTimes, SmallIdleDipKeepsCachedIdle) {
  CpuTimes cached{10, 0, 0, 100, 0, 0, 0, 0, 0, 0};
  CpuTimes fresh{11, 0, 0, 97.5, 0, 0, 0, 0, 0, 0};
  CpuSmoothing what;
  CpuTimes next = smooth_cpu_times(cached, fresh, &what);
  EXPECT_FALSE(what.reset);
  EXPECT_DOUBLE_EQ(next.idle, 100);
  EXPECT_DOUBLE_EQ(next.user, 11);
}

TEST(NodeSmoothCpuTimes, IdleJumpingBackThreeSecondsResets) {
  CpuTimes cached{10, 4, 5, 100, 2, 1, 1, 1, 1, 1};
  CpuTimes fresh{8, 3, 6, 97, 2, 1, 1, 1, 1, 1};
  CpuSmoothing what;
  CpuTimes next = smooth_cpu_times(cached, fresh, &what);
  EXPECT_TRUE(what.reset);
  EXPECT_TRUE(what.backwards.empty());
  EXPECT_DOUBLE_EQ(next.idle, 97);
  EXPECT_DOUBLE_EQ(next.user, 8);
  EXPECT_DOUBLE_EQ(next.nice, 3);
  EXPECT_DOUBLE_EQ(next.system, 6);
}

// ---- collector ----

constexpr const char* kFixturePage =
    "# HELP ceems_cpu_count Number of CPUs.\n"
    "# TYPE ceems_cpu_count gauge\n"
    "ceems_cpu_count{hostname=\"node1\"} 8\n"
    "# HELP ceems_cpu_per_core_count Number of logical CPUs per physical core.\n"
    "# TYPE ceems_cpu_per_core_count gauge\n"
    "ceems_cpu_per_core_count{hostname=\"node1\"} 1\n"
    "# HELP ceems_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
    "# TYPE ceems_cpu_seconds_total counter\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"idle\"} 87319.44\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"iowait\"} 108.76\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"irq\"} 0\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"nice\"} 24.1\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"softirq\"} 43.71\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"steal\"} 0.57\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"system\"} 5123.05\n"
    "ceems_cpu_seconds_total{hostname=\"node1\",mode=\"user\"} 18365.32\n";

TEST(NodeCpuCollector, FixturePage) {
  HostFs host(kTestData + "/proc", kTestData + "/sys", kTestData + "/cgroup");
  auto c = CpuCollector::create(host, "node1", false, {});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ((*c)->topology().logical_cores, 8u);
  EXPECT_EQ((*c)->topology().physical_cores, 8u);
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  EXPECT_EQ(render(batch), kFixturePage);
  EXPECT_TRUE((*c)->capabilities().empty());
}

TEST(NodeCpuCollector, FactoryAppliesTheEmptyHostnameHack) {
  HostFs host(kTestData + "/proc", kTestData + "/sys", kTestData + "/cgroup");
  FlagSet flags("test");
  NoCommands runner;
  NoPrivileges privileges;
  CollectorContext ctx{flags, host, runner, privileges, "", true, {}};
  auto c = make_cpu_collector(ctx);
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  const std::string page = render(batch);
  EXPECT_THAT(page, HasSubstr("ceems_cpu_count{hostname=\"\"} 8\n"));
  EXPECT_THAT(page, HasSubstr("ceems_cpu_per_core_count{hostname=\"\"} 2\n"));
}

TEST(NodeCpuCollector, ArmCpuinfoHasOneCpuPerCore) {
  HostFs host(kTestData + "/proc_arm", kTestData + "/sys", kTestData + "/cgroup");
  auto c = CpuCollector::create(host, "n", false, {});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ((*c)->topology().logical_cores, 4u);
  EXPECT_EQ(cpus_per_core((*c)->topology()), 1);
  // No stat in this tree: the scrape fails and names the file.
  MetricBatch batch;
  Status st = (*c)->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(st.error().message(), HasSubstr(kTestData + "/proc_arm/stat"));
}

TEST(NodeCpuCollector, ConstructionFailures) {
  HostFs no_procfs(kTestData + "/does-not-exist", "/sys", "/sys/fs/cgroup");
  auto a = CpuCollector::create(no_procfs, "n", false, {});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(a.error().message(), HasSubstr("failed to open procfs"));

  HostFs file_as_procfs(kTestData + "/proc/stat", "/sys", "/sys/fs/cgroup");
  auto b = CpuCollector::create(file_as_procfs, "n", false, {});
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.error().message(), HasSubstr("not a directory"));

  OverlayFilesystem fs;
  fs.set_file(kTestData + "/proc/cpuinfo", "model name : nothing useful\n");
  HostFs bad_cpuinfo(kTestData + "/proc", "/sys", "/sys/fs/cgroup", &fs);
  auto c = CpuCollector::create(bad_cpuinfo, "n", false, {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("failed to open cpuinfo"));
  EXPECT_THAT(c.error().message(), HasSubstr("no processor entries"));
}

TEST(NodeCpuCollector, MalformedStatFailsTheScrapeWithThePath) {
  OverlayFilesystem fs;
  HostFs host(kTestData + "/proc", "/sys", "/sys/fs/cgroup", &fs);
  auto c = CpuCollector::create(host, "n", false, {});
  ASSERT_TRUE(c.ok()) << c.error().message();
  fs.set_file(kTestData + "/proc/stat", "cpu 1 2 3\n");
  MetricBatch batch;
  Status st = (*c)->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(st.error().message(), HasSubstr(kTestData + "/proc/stat"));
  EXPECT_THAT(st.error().message(), HasSubstr("truncated cpu line"));
}

double seconds(const MetricBatch& batch, std::string_view mode) {
  for (const auto& f : batch.families()) {
    if (f->desc().name != "ceems_cpu_seconds_total") continue;
    for (size_t i = 0; i < f->size(); ++i) {
      if (f->label_value(i, 1) == mode) return f->value(i);
    }
  }
  return -1;
}

TEST(NodeCpuCollector, CountersNeverDecreaseAcrossScrapes) {
  OverlayFilesystem fs;
  HostFs host(kTestData + "/proc", "/sys", "/sys/fs/cgroup", &fs);
  auto c = CpuCollector::create(host, "n", false, {});
  ASSERT_TRUE(c.ok()) << c.error().message();
  const std::string stat = kTestData + "/proc/stat";
  auto scrape = [&](const std::string& columns) {
    fs.set_file(stat, stat_with(columns));
    MetricBatch batch;
    EXPECT_TRUE((*c)->update(batch).ok());
    return batch;
  };
  // user idle: user grows, then dips (kept), then grows again.
  auto b1 = scrape("1000 0 500 100000 0 0 0 0 0 0");
  EXPECT_DOUBLE_EQ(seconds(b1, "user"), 10);
  auto b2 = scrape("900 0 600 100100 0 0 0 0 0 0");
  EXPECT_DOUBLE_EQ(seconds(b2, "user"), 10);
  EXPECT_DOUBLE_EQ(seconds(b2, "system"), 6);
  EXPECT_DOUBLE_EQ(seconds(b2, "idle"), 1001);
  // Idle 2 s back: kept, not a reset.
  auto b3 = scrape("1100 0 600 99900 0 0 0 0 0 0");
  EXPECT_DOUBLE_EQ(seconds(b3, "idle"), 1001);
  EXPECT_DOUBLE_EQ(seconds(b3, "user"), 11);
  // Idle 500 s back (CPU unplugged): everything restarts from the fresh values.
  auto b4 = scrape("700 0 300 50000 0 0 0 0 0 0");
  EXPECT_DOUBLE_EQ(seconds(b4, "idle"), 500);
  EXPECT_DOUBLE_EQ(seconds(b4, "user"), 7);
  EXPECT_DOUBLE_EQ(seconds(b4, "system"), 3);
}

}  // namespace
}  // namespace ceems
