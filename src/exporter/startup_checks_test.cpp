#include "exporter/startup_checks.h"

#include <gtest/gtest.h>

#include "exporter/exporter_flags.h"

namespace ceems {
namespace {

FlagFindings check(const std::vector<std::string>& args) {
  FlagSet f("ceems_exporter");
  register_exporter_flags(f);
  auto parsed = f.parse(args);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message();
  apply_disable_defaults(f);
  return check_exporter_flags(f);
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(ExporterStartupChecks, DefaultsAreClean) {
  auto f = check({});
  EXPECT_TRUE(f.errors.empty()) << joined(f.errors);
  EXPECT_TRUE(f.warnings.empty()) << joined(f.warnings);
  EXPECT_TRUE(f.notes.empty()) << joined(f.notes);
}

TEST(ExporterStartupChecks, WebPathsMustBeRoutable) {
  auto f = check({"--web.telemetry-path=metrics"});
  ASSERT_EQ(f.errors.size(), 1U) << joined(f.errors);
  EXPECT_EQ(f.errors[0],
            R"(--web.telemetry-path="metrics": must be a URL path starting with "/" (e.g. /metrics))");
  f = check({"--web.telemetry-path="});
  ASSERT_EQ(f.errors.size(), 1U);
  EXPECT_NE(f.errors[0].find(R"(--web.telemetry-path="")"), std::string::npos) << f.errors[0];
  f = check({"--web.targets-path=/metrics"});
  ASSERT_EQ(f.errors.size(), 1U);
  EXPECT_NE(f.errors[0].find("is the path of --web.telemetry-path"), std::string::npos) << f.errors[0];
  // The landing page can be replaced by the metrics.
  EXPECT_TRUE(check({"--web.telemetry-path=/"}).errors.empty());
}

TEST(ExporterStartupChecks, OutOfRangeNumbers) {
  auto f = check({"--web.max-requests=-1", "--runtime.gomaxprocs=-5"});
  EXPECT_EQ(
      joined(f.errors),
      "--web.max-requests=-1: must be 0 (no limit) or more\n--runtime.gomaxprocs=-5: must be 0 or more\n");
  EXPECT_TRUE(check({"--web.max-requests=0"}).errors.empty());
  f = check({"--runtime.gomaxprocs=4"});
  EXPECT_TRUE(f.errors.empty());
  ASSERT_EQ(f.notes.size(), 1U);
  EXPECT_NE(f.notes[0].find("no effect"), std::string::npos);
}

TEST(ExporterStartupChecks, UnitFlagsWithoutAResourceManager) {
  auto f =
      check({"--collector.perf.hardware-events", "--collector.ebpf.io-metrics", "--collector.rdma.stats"});
  ASSERT_EQ(f.warnings.size(), 3U) << joined(f.warnings);
  EXPECT_NE(f.warnings[0].find("--collector.perf.hardware-events has no effect"), std::string::npos);
  EXPECT_NE(f.warnings[1].find("--collector.ebpf.io-metrics"), std::string::npos);
  EXPECT_NE(f.warnings[2].find("--collector.rdma.stats"), std::string::npos);
  // With a resource manager they configure it.
  EXPECT_TRUE(check({"--collector.slurm", "--collector.perf.hardware-events"}).warnings.empty());
  EXPECT_TRUE(check({"--collector.libvirt", "--collector.ebpf.io-metrics"}).warnings.empty());
}

TEST(ExporterStartupChecks, DiscovererFlagsWithoutAResourceManager) {
  auto f = check({"--discoverer.alloy-targets.env-var=PROFILE"});
  ASSERT_EQ(f.warnings.size(), 1U) << joined(f.warnings);
  EXPECT_NE(f.warnings[0].find("--discoverer.alloy-targets.env-var has no effect"), std::string::npos);
  EXPECT_TRUE(
      check({"--discoverer.alloy-targets.resource-manager=slurm", "--discoverer.alloy-targets.env-var=P"})
          .warnings.empty());
}

TEST(ExporterStartupChecks, MalformedGpuOrderMapWithSlurmOff) {
  auto f = check({"--collector.slurm.gpu-order-map=0-1"});
  ASSERT_EQ(f.errors.size(), 1U) << joined(f.errors);
  EXPECT_NE(f.errors[0].find("--collector.slurm.gpu-order-map"), std::string::npos) << f.errors[0];
  EXPECT_TRUE(check({"--collector.slurm.gpu-order-map=0:1,1:0.3"}).errors.empty());
}

TEST(ExporterStartupChecks, DebugServerIsNamed) {
  auto f = check({"--web.debug-server"});
  ASSERT_EQ(f.warnings.size(), 1U);
  EXPECT_NE(f.warnings[0].find("--web.debug-server"), std::string::npos);
}

}  // namespace
}  // namespace ceems
