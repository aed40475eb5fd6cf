// The perf sub-collector's flags and its construction (the perf_event_paranoid gate).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/testing/test_support.h"
#include "perf/perf.h"
#include "perf/perf_collector.h"

namespace ceems::perf {
namespace {

using test_support::LogCapture;
using test_support::TempTree;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

FlagSet perf_flags() {
  FlagSet flags("ceems_exporter");
  register_perf_flags(flags);
  return flags;
}

TEST(PerfFlags, HelpAndDefaults) {
  FlagSet flags = perf_flags();
  ASSERT_TRUE(flags.parse({}).ok());
  EXPECT_FALSE(enabled(flags));
  std::string usage = flags.usage();
  EXPECT_THAT(usage, HasSubstr("Enables collection of perf hardware events (default: disabled)"));
  EXPECT_THAT(usage, HasSubstr("Enables collection of perf software events (default: disabled)"));
  EXPECT_THAT(usage, HasSubstr("Enables collection of perf harware cache events (default: disabled)"));
  EXPECT_THAT(usage, HasSubstr("perf hardware profilers to collect"));
  EXPECT_THAT(usage, HasSubstr("perf software profilers to collect"));
  EXPECT_THAT(usage, HasSubstr("perf cache profilers to collect"));
  EXPECT_THAT(usage,
              HasSubstr("Enable profiling only on the processes having any of these environment variables "
                        "set. If empty, all processes will be profiled."));
}

TEST(PerfFlags, AnyClassEnables) {
  for (const char* flag : {"--collector.perf.hardware-events", "--collector.perf.software-events",
                           "--collector.perf.hardware-cache-events"}) {
    FlagSet flags = perf_flags();
    ASSERT_TRUE(flags.parse({flag}).ok());
    EXPECT_TRUE(enabled(flags)) << flag;
  }
  FlagSet flags = perf_flags();
  ASSERT_TRUE(
      flags.parse({"--collector.perf.software-profilers=PageFault", "--collector.perf.env-var=X"}).ok());
  EXPECT_FALSE(enabled(flags));
}

TEST(PerfFlags, ConfigSelectsSubsetsOfEnabledClassesAndWarnsOnUnknownNames) {
  LogCapture log;
  FlagSet flags = perf_flags();
  ASSERT_TRUE(flags
                  .parse({"--collector.perf.hardware-events", "--collector.perf.hardware-profilers=CpuInstr",
                          "--collector.perf.hardware-profilers=Bogus", "--collector.perf.software-events",
                          "--collector.perf.cache-profilers=LLReadHit", "--collector.perf.env-var=A",
                          "--collector.perf.env-var=B"})
                  .ok());
  CollectorConfig cfg = config_from_flags(flags, {"slurm", "h"}, log::Logger());
  ASSERT_EQ(cfg.events[0].size(), 1U);
  EXPECT_EQ(cfg.events[0][0]->profiler, "CpuInstr");
  EXPECT_EQ(cfg.events[1].size(), 5U);
  EXPECT_TRUE(cfg.events[2].empty());  // subset without the enable flag
  EXPECT_THAT(cfg.env_vars, ElementsAre("A", "B"));
  EXPECT_EQ(cfg.opts.manager, "slurm");
  EXPECT_THAT(log.text(), HasSubstr("name=Bogus"));
  EXPECT_THAT(log.text(), HasSubstr("flag=--collector.perf.hardware-profilers"));
}

TEST(PerfMakeCollector, ParanoidGate) {
  TempTree tree("ceems_perf_paranoid");
  HostFs host(tree.path("proc"), tree.path("sys"), tree.path("cgroup"));
  FlagSet flags = perf_flags();
  ASSERT_TRUE(flags.parse({"--collector.perf.software-events"}).ok());
  NoPrivileges privileges;

  auto missing = make_collector(flags, host, privileges, {"slurm", ""}, log::Logger());
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(),
              HasSubstr("error opening /proc/sys/kernel/perf_event_paranoid file: "));

  tree.write("proc/sys/kernel/perf_event_paranoid", "3\n");
  auto refused = make_collector(flags, host, privileges, {"slurm", ""}, log::Logger());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message(),
            "perf_event_open syscall is not possible with perf_event_paranoid=3. Set it to value 2");

  tree.write("proc/sys/kernel/perf_event_paranoid", "2\n");
  auto ok = make_collector(flags, host, privileges, {"slurm", ""}, log::Logger());
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_THAT((*ok)->capabilities(), ElementsAre("cap_perfmon"));
  // No unit: nothing opened, nothing reported.
  MetricBatch out;
  EXPECT_TRUE((*ok)->update({}, out).ok());
  EXPECT_EQ(out.sample_count(), 0U);
}

}  // namespace
}  // namespace ceems::perf
