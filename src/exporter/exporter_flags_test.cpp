#include "exporter/exporter_flags.h"

#include <gtest/gtest.h>

#include "core/collector.h"

namespace ceems {
namespace {

TEST(ExporterFlags, CollectorFlagsFollowTheTable) {
  FlagSet f("ceems_exporter");
  register_exporter_flags(f);
  ASSERT_TRUE(f.parse({}).ok());
  for (const auto& c : collector_table()) {
    EXPECT_EQ(f.get_bool(collector_flag(c.name)), c.enabled_by_default) << c.name;
  }
  EXPECT_TRUE(f.get_bool("collector.cpu"));
  EXPECT_TRUE(f.get_bool("collector.rapl"));
  EXPECT_FALSE(f.get_bool("collector.cray_pm_counters"));
  EXPECT_EQ(f.get_list("web.listen-address"), std::vector<std::string>{":9010"});
  EXPECT_EQ(f.get_int("web.max-requests"), 40);
  EXPECT_TRUE(f.get_bool("security.drop-privileges"));
}

TEST(ExporterFlags, HelpTextOfCollectorFlags) {
  FlagSet f("ceems_exporter");
  register_exporter_flags(f);
  std::string u = f.usage();
  EXPECT_NE(u.find("Enable the cpu collector (default: enabled)."), std::string::npos);
  EXPECT_NE(u.find("Enable the cray_pm_counters collector (default: disabled)."), std::string::npos);
  EXPECT_EQ(u.find("collector.empty-hostname-label"), std::string::npos);
}

TEST(ExporterFlags, DisableDefaultsKeepsExplicitMentions) {
  FlagSet f("ceems_exporter");
  register_exporter_flags(f);
  ASSERT_TRUE(
      f.parse({"--collector.disable-defaults", "--collector.meminfo", "--collector.cray_pm_counters"}).ok());
  apply_disable_defaults(f);
  EXPECT_FALSE(f.get_bool("collector.cpu"));
  EXPECT_FALSE(f.get_bool("collector.rapl"));
  EXPECT_TRUE(f.get_bool("collector.meminfo"));
  EXPECT_TRUE(f.get_bool("collector.cray_pm_counters"));
}

TEST(ExporterFlags, DeprecatedMeminfoAlias) {
  FlagSet f("ceems_exporter");
  register_exporter_flags(f);
  auto r = f.parse({"--collector.meminfo.all.stats"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(f.get_bool("collector.meminfo.all-stats"));
}

}  // namespace
}  // namespace ceems
