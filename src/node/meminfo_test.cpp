#include "node/meminfo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "core/command_runner.h"
#include "core/exposition.h"
#include "core/privileges.h"
#include "core/testing/fake_filesystem.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"

namespace ceems {
namespace {

using test_support::FakeFilesystem;
using test_support::LogCapture;
using test_support::NoCommands;
using test_support::render;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

const std::string kTestData = CEEMS_TEST_DATA_DIR;

// ---- parse_meminfo ----

TEST(NodeParseMeminfo, RewritesKeysAndScalesKilobytes) {
  auto m = parse_meminfo(
      "MemTotal:       1000 kB\n"
      "\n"
      "Active(anon):      2 kB\n"
      "HugePages_Total:   3\n"
      "Weird(a)(b)x:      4\n");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_THAT(*m, ElementsAre(Pair("MemTotal_bytes", 1024000.0), Pair("Active_anon_bytes", 2048.0),
                              Pair("HugePages_Total", 3.0), Pair("Weird_a)(bx", 4.0)));
}

TEST(NodeParseMeminfo, RepeatedKeyKeepsItsPlaceAndTheLastValue) {
  auto m = parse_meminfo("A: 1\nB: 2\nA: 3\n");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_THAT(*m, ElementsAre(Pair("A", 3.0), Pair("B", 2.0)));
}

TEST(NodeParseMeminfo, EmptyInputHasNoFields) {
  auto m = parse_meminfo("");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

TEST(NodeParseMeminfo, Malformed) {
  struct Case {
    const char* text;
    const char* expect;
  };
  const Case cases[] = {
      {"MemTotal:\n", "invalid line in meminfo: \"MemTotal:\""},
      {"MemTotal: lots kB\n", "invalid value in meminfo: \"lots\""},
      {"MemTotal: 12kB\n", "\"12kB\""},
      {"MemTotal: 1 kB extra\n", "invalid line in meminfo: \"MemTotal: 1 kB extra\""},
      {"MemFree: 1 kB\nMemTotal: 1 kB x y\n", "MemTotal: 1 kB x y"},
  };
  for (const Case& c : cases) {
    auto m = parse_meminfo(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(m.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(m.error().message(), HasSubstr(c.expect));
  }
}

// ---- collector ----

TEST(NodeMeminfoCollector, DefaultKeysWithZeroForMissingOnes) {
  HostFs host(kTestData + "/proc", "/sys", "/sys/fs/cgroup");
  MeminfoCollector c(host, "node1", false, {});
  MetricBatch batch;
  ASSERT_TRUE(c.update(batch).ok());
  EXPECT_EQ(render(batch),
            "# HELP ceems_meminfo_MemAvailable_bytes Memory information field MemAvailable_bytes.\n"
            "# TYPE ceems_meminfo_MemAvailable_bytes gauge\n"
            "ceems_meminfo_MemAvailable_bytes{hostname=\"node1\"} 0\n"
            "# HELP ceems_meminfo_MemFree_bytes Memory information field MemFree_bytes.\n"
            "# TYPE ceems_meminfo_MemFree_bytes gauge\n"
            "ceems_meminfo_MemFree_bytes{hostname=\"node1\"} 2.06183424e+10\n"
            "# HELP ceems_meminfo_MemTotal_bytes Memory information field MemTotal_bytes.\n"
            "# TYPE ceems_meminfo_MemTotal_bytes gauge\n"
            "ceems_meminfo_MemTotal_bytes{hostname=\"node1\"} 3.3376546816e+10\n");
}

TEST(NodeMeminfoCollector, AllStats) {
  HostFs host(kTestData + "/proc", "/sys", "/sys/fs/cgroup");
  MeminfoCollector c(host, "", true, {});
  MetricBatch batch;
  ASSERT_TRUE(c.update(batch).ok());
  EXPECT_EQ(batch.families().size(), 15u);
  const std::string page = render(batch);
  EXPECT_THAT(page,
              HasSubstr("# HELP ceems_meminfo_Active_anon_bytes Memory information field Active_anon_bytes.\n"
                        "# TYPE ceems_meminfo_Active_anon_bytes gauge\n"
                        "ceems_meminfo_Active_anon_bytes{hostname=\"\"} 3.714400256e+09\n"));
  EXPECT_THAT(page,
              HasSubstr("# HELP ceems_meminfo_HugePages_Total Memory information field HugePages_Total.\n"
                        "# TYPE ceems_meminfo_HugePages_Total gauge\n"
                        "ceems_meminfo_HugePages_Total{hostname=\"\"} 0\n"));
  EXPECT_THAT(page, HasSubstr("ceems_meminfo_Hugepagesize_bytes{hostname=\"\"} 2.097152e+06\n"));
  EXPECT_THAT(page, HasSubstr("ceems_meminfo_Inactive_file_bytes{hostname=\"\"} 5.878423552e+09\n"));
  // Not in the file, so not invented either.
  EXPECT_THAT(page, Not(HasSubstr("MemAvailable")));
}

TEST(NodeMeminfoCollector, KeysEndingInTotalAreCounters) {
  FakeFilesystem fs;
  fs.add_file("/p/meminfo", "Allocs_total: 12\nMemTotal: 1 kB\n");
  HostFs host("/p", "/sys", "/sys/fs/cgroup", &fs);
  MeminfoCollector c(host, "h", true, {});
  MetricBatch batch;
  ASSERT_TRUE(c.update(batch).ok());
  EXPECT_THAT(render(batch), HasSubstr("# TYPE ceems_meminfo_Allocs_total counter\n"
                                       "ceems_meminfo_Allocs_total{hostname=\"h\"} 12\n"));
}

TEST(NodeMeminfoCollector, ErrorsNameTheProblem) {
  FakeFilesystem fs;
  fs.add_file("/p/meminfo", "MemTotal: 1 kB\nMemFree: ? kB\n");
  HostFs host("/p", "/sys", "/sys/fs/cgroup", &fs);
  MeminfoCollector bad(host, "h", false, {});
  MetricBatch batch;
  Status st = bad.update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(st.error().message(),
              HasSubstr("couldn't get meminfo: /p/meminfo: invalid value in meminfo: \"?\""));

  HostFs missing(kTestData + "/nowhere", "/sys", "/sys/fs/cgroup");
  MeminfoCollector absent(missing, "h", false, {});
  st = absent.update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(st.error().message(), HasSubstr("couldn't get meminfo"));
  EXPECT_THAT(st.error().message(), HasSubstr(kTestData + "/nowhere/meminfo"));
}

// ---- flags and factory ----

struct FactoryRun {
  std::string page;
  std::string log;
};

FactoryRun run_factory(const std::vector<std::string>& args) {
  FlagSet flags("test");
  register_meminfo_flags(flags);
  auto parsed = flags.parse(args);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message();
  HostFs host(kTestData + "/proc", "/sys", "/sys/fs/cgroup");
  NoCommands runner;
  NoPrivileges privileges;
  CollectorContext ctx{flags, host, runner, privileges, "", true, {}};
  FactoryRun run;
  {
    LogCapture capture;
    auto c = make_meminfo_collector(ctx);
    EXPECT_TRUE(c.ok()) << c.error().message();
    if (c.ok()) {
      MetricBatch batch;
      EXPECT_TRUE((*c)->update(batch).ok());
      run.page = render(batch);
    }
    run.log = capture.text();
  }
  return run;
}

TEST(NodeMeminfoFactory, DefaultOnlyThreeKeys) {
  FactoryRun run = run_factory({});
  EXPECT_THAT(run.page, HasSubstr("ceems_meminfo_MemTotal_bytes"));
  EXPECT_THAT(run.page, Not(HasSubstr("ceems_meminfo_Cached_bytes")));
  EXPECT_THAT(run.log, Not(HasSubstr("deprecated")));
}

TEST(NodeMeminfoFactory, AllStatsFlag) {
  FactoryRun run = run_factory({"--collector.meminfo.all-stats"});
  EXPECT_THAT(run.page, HasSubstr("ceems_meminfo_Cached_bytes{hostname=\"\"} 6.991323136e+09\n"));
  EXPECT_THAT(run.log, Not(HasSubstr("deprecated")));
}

TEST(NodeMeminfoFactory, DeprecatedAliasWorksAndWarns) {
  FactoryRun run = run_factory({"--collector.meminfo.all.stats"});
  EXPECT_THAT(run.page, HasSubstr("ceems_meminfo_Cached_bytes"));
  EXPECT_THAT(run.log, HasSubstr("flag --collector.meminfo.all.stats has been deprecated. "
                                 "Use --collector.meminfo.all-stats instead"));
}

TEST(NodeMeminfoFlags, AliasIsHiddenFromUsage) {
  FlagSet flags("test");
  register_meminfo_flags(flags);
  const std::string usage = flags.usage();
  EXPECT_THAT(usage, HasSubstr("--[no-]collector.meminfo.all-stats"));
  EXPECT_THAT(usage, HasSubstr("Enable collecting all meminfo stats (default: disabled)."));
  EXPECT_THAT(usage, Not(HasSubstr("all.stats")));
}

}  // namespace
}  // namespace ceems
