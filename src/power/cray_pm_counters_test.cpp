#include "power/cray_pm_counters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/command_runner.h"
#include "core/exposition.h"
#include "core/privileges.h"
#include "core/testing/fake_filesystem.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"

namespace ceems {
namespace {

using test_support::NoCommands;
using test_support::render;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kTestData = CEEMS_TEST_DATA_DIR;

// The directory exists but cannot be listed.
void unlistable(test_support::FakeFilesystem& fs, int err) {
  fs.add_dir("/sys/cray/pm_counters");
  fs.fail("/sys/cray/pm_counters", err);
}

// ---- domain discovery ----

TEST(PowerPmCounterDomainsInName, RealFileNames) {
  EXPECT_THAT(pm_counter_domains_in_name("energy"), ElementsAre(""));
  EXPECT_THAT(pm_counter_domains_in_name("power"), ElementsAre(""));
  EXPECT_THAT(pm_counter_domains_in_name("power_cap"), ElementsAre(""));
  EXPECT_THAT(pm_counter_domains_in_name("cpu_energy"), ElementsAre("cpu"));
  EXPECT_THAT(pm_counter_domains_in_name("cpu_power"), ElementsAre("cpu"));
  EXPECT_THAT(pm_counter_domains_in_name("cpu0_temp"), ElementsAre("cpu0"));
  EXPECT_THAT(pm_counter_domains_in_name("memory_energy"), ElementsAre("memory"));
  EXPECT_THAT(pm_counter_domains_in_name("accel0_power_cap"), ElementsAre("accel0"));
  EXPECT_THAT(pm_counter_domains_in_name("accel12_energy"), ElementsAre("accel12"));
  for (const char* ignored : {"freshness", "generation", "raw_scan_hz", "startup", "version", ""}) {
    EXPECT_THAT(pm_counter_domains_in_name(ignored), IsEmpty()) << ignored;
  }
}

TEST(PowerPmCounterDomainsInName, BacktrackingEdgeCases) {
  // What the lazy, leftmost-first pattern yields for unusual names.
  EXPECT_THAT(pm_counter_domains_in_name("cpuenergy"), ElementsAre("cpu"));
  EXPECT_THAT(pm_counter_domains_in_name("cpu__energy"), ElementsAre("cpu"));
  EXPECT_THAT(pm_counter_domains_in_name("cpucpu1_energy"), ElementsAre("cpu1"));  // last iteration
  EXPECT_THAT(pm_counter_domains_in_name("xcpu_energy"), ElementsAre("cpu"));      // match starts later
  EXPECT_THAT(pm_counter_domains_in_name("foo_energy"), ElementsAre(""));          // no unit before
  EXPECT_THAT(pm_counter_domains_in_name("cpu_x_energy"), ElementsAre(""));        // unit not adjacent
  EXPECT_THAT(pm_counter_domains_in_name("gpu0_power"), ElementsAre(""));          // gpu is not a unit
  EXPECT_THAT(pm_counter_domains_in_name("energy_energy"), ElementsAre("", ""));
  EXPECT_THAT(pm_counter_domains_in_name("cpu_energy_memory_power"), ElementsAre("cpu", "memory"));
  EXPECT_THAT(pm_counter_domains_in_name("accel0_power_cap_temp"), ElementsAre("accel0", ""));
  EXPECT_THAT(pm_counter_domains_in_name("cpu"), IsEmpty());
  EXPECT_THAT(pm_counter_domains_in_name("temperature"), ElementsAre(""));
}

TEST(PowerDiscoverPmCounterDomains, RecordedOnceInDiscoveryOrder) {
  const std::vector<std::string> names = {
      "accel0_energy", "accel0_power", "accel0_power_cap", "accel1_energy", "cpu0_temp", "cpu_energy",
      "cpu_power",     "energy",       "freshness",        "memory_energy", "power",     "power_cap"};
  std::vector<std::string> got;
  for (const PmCounterDomain& d : discover_pm_counter_domains(names)) {
    got.push_back(d.name + ":" + d.file_prefix);
  }
  EXPECT_THAT(got, ElementsAre("accel0:accel0_", "accel1:accel1_", "cpu0:cpu0_", "cpu:cpu_",
                               "node:", "memory:memory_"));
}

// ---- values ----

TEST(PowerParsePmCounterValue, IntegerBeforeTheFirstSpace) {
  EXPECT_EQ(*parse_pm_counter_value("208970342 J 1734094386462336 us\n"), 208970342u);
  EXPECT_EQ(*parse_pm_counter_value("99 W"), 99u);
  EXPECT_EQ(*parse_pm_counter_value("0 W"), 0u);
  EXPECT_EQ(*parse_pm_counter_value("  48 C 1734094386460680 us  "), 48u);
  EXPECT_EQ(*parse_pm_counter_value("12895022\n"), 12895022u);
  EXPECT_EQ(*parse_pm_counter_value("18446744073709551615 J"), 18446744073709551615u);
}

TEST(PowerParsePmCounterValue, Malformed) {
  for (const char* text : {"", "\n", "   ", "41.5 C", "-3 W", "+3 W", "abc", "W 12", "12\tW", "0x10 W",
                           "18446744073709551616 J"}) {
    auto v = parse_pm_counter_value(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(v.error().message(), HasSubstr("pm_counters value")) << text;
  }
  EXPECT_THAT(parse_pm_counter_value("41.5 C").error().message(), HasSubstr("\"41.5\""));
}

// ---- collector ----

TEST(PowerCrayPmCountersCollector, FixturePage) {
  HostFs host("/proc", kTestData + "/sys", "/c");
  CrayPmCountersCollector c(host, "", {});
  MetricBatch batch;
  ASSERT_TRUE(c.update(batch).ok());
  EXPECT_EQ(render(batch),
            "# HELP ceems_cray_pm_counters_energy_joules Current energy value in joules\n"
            "# TYPE ceems_cray_pm_counters_energy_joules gauge\n"
            "ceems_cray_pm_counters_energy_joules{domain=\"accel0\",hostname=\"\"} 8.1234567e+07\n"
            "ceems_cray_pm_counters_energy_joules{domain=\"accel1\",hostname=\"\"} 7.9345678e+07\n"
            "ceems_cray_pm_counters_energy_joules{domain=\"cpu\",hostname=\"\"} 4.5678901e+07\n"
            "ceems_cray_pm_counters_energy_joules{domain=\"memory\",hostname=\"\"} 2.3456789e+07\n"
            "ceems_cray_pm_counters_energy_joules{domain=\"node\",hostname=\"\"} 3.12345678e+08\n"
            "# HELP ceems_cray_pm_counters_power_limit_watts Current power limit value in watts\n"
            "# TYPE ceems_cray_pm_counters_power_limit_watts gauge\n"
            "ceems_cray_pm_counters_power_limit_watts{domain=\"accel1\",hostname=\"\"} 400\n"
            "# HELP ceems_cray_pm_counters_power_watts Current power value in watts\n"
            "# TYPE ceems_cray_pm_counters_power_watts gauge\n"
            "ceems_cray_pm_counters_power_watts{domain=\"accel0\",hostname=\"\"} 143\n"
            "ceems_cray_pm_counters_power_watts{domain=\"accel1\",hostname=\"\"} 151\n"
            "ceems_cray_pm_counters_power_watts{domain=\"cpu\",hostname=\"\"} 210\n"
            "ceems_cray_pm_counters_power_watts{domain=\"memory\",hostname=\"\"} 35\n"
            "ceems_cray_pm_counters_power_watts{domain=\"node\",hostname=\"\"} 702\n"
            "# HELP ceems_cray_pm_counters_temp_celsius Current temperature value in celsius\n"
            "# TYPE ceems_cray_pm_counters_temp_celsius gauge\n"
            "ceems_cray_pm_counters_temp_celsius{domain=\"cpu0\",hostname=\"\"} 52\n");
}

TEST(PowerCrayPmCountersCollector, HostnameLabel) {
  HostFs host("/proc", kTestData + "/sys", "/c");
  CrayPmCountersCollector c(host, "nid001", {});
  MetricBatch batch;
  ASSERT_TRUE(c.update(batch).ok());
  EXPECT_THAT(render(batch),
              HasSubstr("ceems_cray_pm_counters_temp_celsius{domain=\"cpu0\",hostname=\"nid001\"} 52\n"));
}

TEST(PowerCrayPmCountersCollector, MissingDirectoryIsNoData) {
  HostFs host("/proc", kTestData + "/sys/class", "/c");
  CrayPmCountersCollector c(host, "", {});
  MetricBatch batch;
  Status st = c.update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);
  EXPECT_EQ(batch.sample_count(), 0u);
}

TEST(PowerCrayPmCountersCollector, ListingErrors) {
  test_support::FakeFilesystem denied;
  unlistable(denied, EACCES);
  CrayPmCountersCollector a(HostFs("/proc", "/sys", "/c", &denied), "", {});
  MetricBatch batch;
  Status st = a.update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);

  test_support::FakeFilesystem broken;
  unlistable(broken, EIO);
  CrayPmCountersCollector b(HostFs("/proc", "/sys", "/c", &broken), "", {});
  st = b.update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kIo);
  EXPECT_THAT(st.error().message(), HasSubstr("failed to fetch /sys/cray/pm_counters stats"));
}

TEST(PowerCrayPmCountersFactory, SysfsRootMustBeADirectory) {
  FlagSet flags("test");
  NoCommands runner;
  NoPrivileges privileges;
  HostFs good("/proc", kTestData + "/sys", "/c");
  CollectorContext ok_ctx{flags, good, runner, privileges, "", true, {}};
  auto c = make_cray_pm_counters_collector(ok_ctx);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE((*c)->capabilities().empty());
  MetricBatch batch;
  EXPECT_TRUE((*c)->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 12u);

  HostFs bad("/proc", kTestData + "/missing", "/c");
  CollectorContext bad_ctx{flags, bad, runner, privileges, "", true, {}};
  auto d = make_cray_pm_counters_collector(bad_ctx);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error().message(), HasSubstr("failed to open sysfs"));
}

}  // namespace
}  // namespace ceems
