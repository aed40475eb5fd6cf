#include "power/rapl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/command_runner.h"
#include "core/exposition.h"
#include "core/strings.h"
#include "core/testing/fake_runner.h"
#include "core/testing/overlay_filesystem.h"
#include "core/testing/recording_privileges.h"
#include "core/testing/test_support.h"

namespace ceems {
namespace {

using test_support::LogCapture;
using test_support::NoCommands;
using test_support::RecordingPrivileges;
using test_support::render;
// A scratch sysfs tree with a helper for powercap zones.
struct TempTree : test_support::TempTree {
  void zone(const std::string& entry, const std::string& name, const std::string& energy) const {
    write("class/powercap/" + entry + "/name", name + "\n");
    write("class/powercap/" + entry + "/energy_uj", energy + "\n");
    write("class/powercap/" + entry + "/max_energy_range_uj", "262143328850\n");
  }
};

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kTestData = CEEMS_TEST_DATA_DIR;
const std::string kSys = kTestData + "/sys";
const std::string kPowercap = kSys + "/class/powercap";

// Energy counters readable by root only, as on kernels >= 5.10 seen by an unprivileged process.
void deny_energy(test_support::OverlayFilesystem& fs) {
  fs.fail_where([](std::string_view path) { return ends_with(path, "/energy_uj"); }, EACCES);
}

std::unique_ptr<RaplCollector> make(const HostFs& host, Privileges& privileges, bool zone_label) {
  auto c = RaplCollector::create(host, privileges, "", zone_label, {});
  EXPECT_TRUE(c.ok()) << c.error().message();
  return c.ok() ? std::move(*c) : nullptr;
}

// ---- pure helpers ----

TEST(PowerParseRaplZoneName, SplitsANumericSuffix) {
  auto check = [](std::string_view in, const std::string& base, std::optional<int64_t> index) {
    RaplZoneName n = parse_rapl_zone_name(in);
    EXPECT_EQ(n.base, base) << in;
    EXPECT_EQ(n.index, index) << in;
  };
  check("package-0\n", "package", 0);
  check("  package-12  ", "package", 12);
  check("dram", "dram", std::nullopt);
  check("psys\n", "psys", std::nullopt);
  check("a-b", "a-b", std::nullopt);
  check("a-1-2", "a-1-2", std::nullopt);
  check("pkg-+3", "pkg", 3);
  check("pkg-", "pkg-", std::nullopt);
  check("-5", "", 5);
  check("x-2147483647", "x", 2147483647);
  check("x-2147483648", "x-2147483648", std::nullopt);
  check("x-1e3", "x-1e3", std::nullopt);
  check("", "", std::nullopt);
}

TEST(PowerRaplZoneIndexer, CountsRepeatedNamesWithoutSuffix) {
  RaplZoneIndexer idx;
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("package-0")), 0);
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("dram")), 0);
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("package-1")), 1);
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("dram")), 1);
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("psys")), 0);
  // A suffixed zone sets the count for its base name, as in the original.
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("dram-5")), 5);
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("dram")), 6);
  EXPECT_EQ(idx.assign(parse_rapl_zone_name("package")), 2);
}

// ---- discovery ----

TEST(PowerDiscoverRaplZones, TopLevelZonesInNameOrder) {
  HostFs host("/proc", kSys, "/sys/fs/cgroup");
  auto zones = discover_rapl_zones(host);
  ASSERT_TRUE(zones.ok()) << zones.error().message();
  std::vector<std::string> seen;
  for (const RaplZone& z : *zones) {
    seen.push_back(z.name + "/" + std::to_string(z.index) + "@" + z.path.substr(kPowercap.size() + 1));
  }
  // intel-rapl has no name file; intel-rapl:1:1 only exists inside its package.
  EXPECT_THAT(seen, ElementsAre("package/0@intel-rapl:0", "dram/0@intel-rapl:0:0", "package/1@intel-rapl:1",
                                "dram/1@intel-rapl:1:0", "psys/0@intel-rapl:2"));
  EXPECT_EQ((*zones)[0].max_microjoules, 262143328850u);
  EXPECT_EQ((*zones)[1].max_microjoules, 65712999613u);
}

TEST(PowerDiscoverRaplZones, MissingMaxEnergyRangeFailsDiscovery) {
  TempTree t;
  t.zone("intel-rapl:0", "package-0", "1");
  t.write("class/powercap/intel-rapl:1/name", "package-1\n");
  t.write("class/powercap/intel-rapl:1/energy_uj", "2\n");
  auto zones = discover_rapl_zones(HostFs("/proc", t.root(), "/sys/fs/cgroup"));
  ASSERT_FALSE(zones.ok());
  EXPECT_EQ(zones.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(zones.error().message(), HasSubstr("intel-rapl:1/max_energy_range_uj"));
}

TEST(PowerDiscoverRaplZones, NonNumericMaxEnergyRangeIsInvalid) {
  TempTree t;
  t.zone("intel-rapl:0", "package-0", "1");
  t.write("class/powercap/intel-rapl:0/max_energy_range_uj", "lots\n");
  auto zones = discover_rapl_zones(HostFs("/proc", t.root(), "/sys/fs/cgroup"));
  ASSERT_FALSE(zones.ok());
  EXPECT_EQ(zones.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(zones.error().message(), HasSubstr("\"lots\""));
  EXPECT_THAT(zones.error().message(), HasSubstr("intel-rapl:0/max_energy_range_uj"));
}

TEST(PowerReadRaplPowerLimit, LargestWindowWinsTiesKeepConstraintZero) {
  TempTree t;
  const std::string z = "class/powercap/z/";
  auto limit = [&]() {
    RaplZone zone{"z", 0, t.root() + "/" + z.substr(0, z.size() - 1), 0};
    return read_rapl_power_limit(real_filesystem(), zone);
  };
  t.write(z + "constraint_0_power_limit_uw", "100\n");
  t.write(z + "constraint_1_power_limit_uw", "200\n");
  ASSERT_TRUE(limit().ok());
  EXPECT_EQ(*limit(), 100u);  // no windows at all: constraint 0
  t.write(z + "constraint_1_time_window_us", "10\n");
  EXPECT_EQ(*limit(), 200u);
  t.write(z + "constraint_0_time_window_us", "10\n");
  EXPECT_EQ(*limit(), 100u);  // tie
  t.write(z + "constraint_0_time_window_us", "junk\n");
  EXPECT_EQ(*limit(), 200u);  // unparsable window ignored
  t.write(z + "constraint_1_power_limit_uw", "n/a\n");
  auto bad = limit();
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("\"n/a\""));
}

// ---- collector ----

std::string default_page(const std::string& powercap) {
  auto line = [&](const std::string& family, const std::string& index, const std::string& entry,
                  const std::string& value) {
    return family + "{hostname=\"\",index=\"" + index + "\",path=\"" + powercap + "/" + entry + "\"} " +
           value + "\n";
  };
  return "# HELP ceems_rapl_dram_joules_total Current RAPL dram value in joules\n"
         "# TYPE ceems_rapl_dram_joules_total counter\n" +
         line("ceems_rapl_dram_joules_total", "0", "intel-rapl:0:0", "1234.56789") +
         line("ceems_rapl_dram_joules_total", "1", "intel-rapl:1:0", "2345.678901") +
         "# HELP ceems_rapl_dram_power_limit_watts_total Current RAPL dram power limit in watts\n"
         "# TYPE ceems_rapl_dram_power_limit_watts_total counter\n" +
         line("ceems_rapl_dram_power_limit_watts_total", "0", "intel-rapl:0:0", "0") +
         "# HELP ceems_rapl_package_joules_total Current RAPL package value in joules\n"
         "# TYPE ceems_rapl_package_joules_total counter\n" +
         line("ceems_rapl_package_joules_total", "0", "intel-rapl:0", "73911.285961") +
         line("ceems_rapl_package_joules_total", "1", "intel-rapl:1", "81113.722017") +
         "# HELP ceems_rapl_package_power_limit_watts_total Current RAPL package power limit in watts\n"
         "# TYPE ceems_rapl_package_power_limit_watts_total counter\n" +
         line("ceems_rapl_package_power_limit_watts_total", "0", "intel-rapl:0", "165") +
         line("ceems_rapl_package_power_limit_watts_total", "1", "intel-rapl:1", "150") +
         "# HELP ceems_rapl_psys_joules_total Current RAPL psys value in joules\n"
         "# TYPE ceems_rapl_psys_joules_total counter\n" +
         line("ceems_rapl_psys_joules_total", "0", "intel-rapl:2", "5") +
         "# HELP ceems_rapl_psys_power_limit_watts_total Current RAPL psys power limit in watts\n"
         "# TYPE ceems_rapl_psys_power_limit_watts_total counter\n" +
         line("ceems_rapl_psys_power_limit_watts_total", "0", "intel-rapl:2", "400");
}

TEST(PowerRaplCollector, DefaultNamingFixturePage) {
  HostFs host("/proc", kSys, "/sys/fs/cgroup");
  NoPrivileges privileges;
  auto c = make(host, privileges, false);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->capabilities(), IsEmpty());
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(render(batch), default_page(kPowercap));
}

TEST(PowerRaplCollector, ZoneLabelNamingFixturePage) {
  HostFs host("/proc", kSys, "/sys/fs/cgroup");
  NoPrivileges privileges;
  auto c = make(host, privileges, true);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  auto line = [&](const std::string& family, const std::string& index, const std::string& entry,
                  const std::string& zone, const std::string& value) {
    return family + "{hostname=\"\",index=\"" + index + "\",path=\"" + kPowercap + "/" + entry +
           "\",rapl_zone=\"" + zone + "\"} " + value + "\n";
  };
  const std::string j = "ceems_rapl_joules_total";
  const std::string w = "ceems_rapl_power_limit_watts_total";
  EXPECT_EQ(render(batch),
            "# HELP ceems_rapl_joules_total Current RAPL value in joules\n"
            "# TYPE ceems_rapl_joules_total counter\n" +
                line(j, "0", "intel-rapl:0", "package", "73911.285961") +
                line(j, "0", "intel-rapl:0:0", "dram", "1234.56789") +
                line(j, "0", "intel-rapl:2", "psys", "5") +
                line(j, "1", "intel-rapl:1", "package", "81113.722017") +
                line(j, "1", "intel-rapl:1:0", "dram", "2345.678901") +
                "# HELP ceems_rapl_power_limit_watts_total Current RAPL power Limit value in watts\n"
                "# TYPE ceems_rapl_power_limit_watts_total counter\n" +
                line(w, "0", "intel-rapl:0", "package", "165") + line(w, "0", "intel-rapl:0:0", "dram", "0") +
                line(w, "0", "intel-rapl:2", "psys", "400") + line(w, "1", "intel-rapl:1", "package", "150"));
}

// Restores the working directory even when an assertion returns early.
class ScopedChdir {
 public:
  explicit ScopedChdir(const std::filesystem::path& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedChdir() { std::filesystem::current_path(old_); }

 private:
  std::filesystem::path old_;
};

TEST(PowerRaplCollector, RelativeSysfsRootGivesRelativePathLabels) {
  ScopedChdir cd(std::filesystem::path(kTestData).parent_path());
  HostFs host("/proc", "./testdata//sys/", "/sys/fs/cgroup");
  NoPrivileges privileges;
  auto c = make(host, privileges, false);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(render(batch), default_page("testdata/sys/class/powercap"));
}

TEST(PowerRaplCollector, MissingPowercapIsNoData) {
  HostFs host("/proc", kTestData, "/sys/fs/cgroup");  // a directory without class/powercap
  NoPrivileges privileges;
  auto c = make(host, privileges, false);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  Status st = c->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);
  EXPECT_EQ(batch.sample_count(), 0u);
}

TEST(PowerRaplCollector, ZoneWithoutMaxEnergyRangeFailsTheScrape) {
  TempTree t;
  t.zone("intel-rapl:0", "package-0", "1");
  t.write("class/powercap/intel-rapl:0:0/name", "dram\n");
  HostFs host("/proc", t.root(), "/sys/fs/cgroup");
  NoPrivileges privileges;
  auto c = make(host, privileges, false);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  Status st = c->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);  // "does not exist" is reported as no data
  EXPECT_EQ(batch.sample_count(), 0u);

  t.write("class/powercap/intel-rapl:0:0/max_energy_range_uj", "-1\n");
  st = c->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(st.error().message(), HasSubstr("failed to fetch rapl stats"));
  EXPECT_THAT(st.error().message(), HasSubstr("\"-1\""));
}

TEST(PowerRaplCollector, SysfsRootMustBeADirectory) {
  NoPrivileges privileges;
  auto missing = RaplCollector::create(HostFs("/proc", kTestData + "/nope", "/c"), privileges, "", false, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("failed to open sysfs"));
  auto file = RaplCollector::create(HostFs("/proc", kPowercap + "/intel-rapl:0/name", "/c"), privileges, "",
                                    false, {});
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.error().message(), HasSubstr("not a directory"));
}

TEST(PowerRaplCollector, SanitisedFamilyNameKeepsTheRawNameInHelp) {
  TempTree t;
  t.zone("intel-rapl:0:2", "uncore.gt", "2500000");
  NoPrivileges privileges;
  auto c = make(HostFs("/proc", t.root(), "/c"), privileges, false);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(render(batch),
            "# HELP ceems_rapl_uncore_gt_joules_total Current RAPL uncore.gt value in joules\n"
            "# TYPE ceems_rapl_uncore_gt_joules_total counter\n"
            "ceems_rapl_uncore_gt_joules_total{hostname=\"\",index=\"0\",path=\"" +
                t.root() + "/class/powercap/intel-rapl:0:2\"} 2.5\n");
}

TEST(PowerRaplCollector, RootOnlyEnergyFilesNeedDacReadSearch) {
  TempTree t;
  t.zone("intel-rapl:0", "package-0", "3000000");
  t.write("class/powercap/intel-rapl:0/energy_uj", "3000000\n", 0400);
  RecordingPrivileges privileges;
  auto c = make(HostFs("/proc", t.root(), "/c"), privileges, false);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->capabilities(), ElementsAre("cap_dac_read_search"));
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_THAT(privileges.contexts(), ElementsAre("rapl_read_energy_counters"));
  EXPECT_THAT(privileges.last_caps(), ElementsAre("cap_dac_read_search"));
  EXPECT_THAT(render(batch), HasSubstr("ceems_rapl_package_joules_total{hostname=\"\",index=\"0\",path=\"" +
                                       t.root() + "/class/powercap/intel-rapl:0\"} 3\n"));
}

TEST(PowerRaplCollector, WorldReadableEnergyFilesNeedNoPrivilege) {
  RecordingPrivileges privileges;
  auto c = make(HostFs("/proc", kSys, "/c"), privileges, false);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->capabilities(), IsEmpty());
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_THAT(privileges.contexts(), IsEmpty());
}

TEST(PowerRaplCollector, UnreadableEnergyIsLoggedOnceAndTheScrapeSucceeds) {
  test_support::OverlayFilesystem fs;
  deny_energy(fs);
  HostFs host("/proc", kSys, "/c", &fs);
  NoPrivileges privileges;
  auto c = make(host, privileges, false);
  ASSERT_NE(c, nullptr);
  // The probe saw the permission error.
  EXPECT_THAT(c->capabilities(), ElementsAre("cap_dac_read_search"));
  LogCapture capture;
  for (int i = 0; i < 3; ++i) {
    MetricBatch batch;
    ASSERT_TRUE(c->update(batch).ok());
    const std::string page = render(batch);
    EXPECT_THAT(page, Not(HasSubstr("joules")));
    EXPECT_THAT(page, HasSubstr("ceems_rapl_package_power_limit_watts_total"));
  }
  const std::string log = capture.text();
  const std::string message = "Failed to update RAPL energy counters";
  size_t first = log.find(message);
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(message, first + 1), std::string::npos) << log;
  EXPECT_THAT(log, HasSubstr("CAP_DAC_READ_SEARCH (or root)"));
  EXPECT_THAT(log, HasSubstr(kPowercap + "/intel-rapl:0/energy_uj"));
}

TEST(PowerRaplCollector, ZonesWithoutConstraintFilesAreNormal) {
  // As on AMD EPYC: energy counters, no power-limit constraints.
  TempTree t;
  t.zone("intel-rapl:0", "package-0", "1000000");
  HostFs host("/proc", t.root(), "/c");
  NoPrivileges privileges;
  auto c = make(host, privileges, false);
  ASSERT_NE(c, nullptr);
  LogCapture capture(log::Level::kDebug);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_THAT(render(batch), HasSubstr("ceems_rapl_package_joules_total"));
  EXPECT_THAT(render(batch), Not(HasSubstr("power_limit")));
  const std::string log = capture.text();
  EXPECT_THAT(log, Not(HasSubstr("level=ERROR")));
  EXPECT_THAT(log, HasSubstr("level=DEBUG"));
  EXPECT_THAT(log, HasSubstr("no constraint files"));
}

TEST(PowerRaplCollector, UnreadableConstraintFilesAreAnError) {
  TempTree t;
  t.zone("intel-rapl:0", "package-0", "1000000");
  t.write("class/powercap/intel-rapl:0/constraint_0_power_limit_uw", "lots\n");
  HostFs host("/proc", t.root(), "/c");
  NoPrivileges privileges;
  auto c = make(host, privileges, false);
  ASSERT_NE(c, nullptr);
  LogCapture capture;
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_THAT(capture.text(), HasSubstr("level=ERROR"));
  EXPECT_THAT(capture.text(), HasSubstr("Failed to update RAPL power limits"));
}

// ---- flags and factory ----

TEST(PowerRaplFactory, ZoneLabelFlag) {
  for (bool zone_label : {false, true}) {
    FlagSet flags("test");
    register_rapl_flags(flags);
    std::vector<std::string> args;
    if (zone_label) args.emplace_back("--collector.rapl.enable-zone-label");
    auto parsed = flags.parse(args);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    HostFs host("/proc", kSys, "/c");
    NoCommands runner;
    NoPrivileges privileges;
    CollectorContext ctx{flags, host, runner, privileges, "h1", false, {}};
    auto c = make_rapl_collector(ctx);
    ASSERT_TRUE(c.ok()) << c.error().message();
    MetricBatch batch;
    ASSERT_TRUE((*c)->update(batch).ok());
    const std::string page = render(batch);
    EXPECT_EQ(page.find("ceems_rapl_joules_total{hostname=\"h1\"") != std::string::npos, zone_label);
    EXPECT_EQ(page.find("ceems_rapl_package_joules_total{hostname=\"h1\"") != std::string::npos, !zone_label);
  }
}

TEST(PowerRaplFlags, HelpText) {
  FlagSet flags("test");
  register_rapl_flags(flags);
  EXPECT_THAT(flags.usage(), HasSubstr("Enables RAPL zone labels (default: disabled)"));
  EXPECT_FALSE(flags.get_bool("collector.rapl.enable-zone-label"));
}

}  // namespace
}  // namespace ceems
