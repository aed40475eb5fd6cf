#include "units/sub_collector_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/privileges.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"

namespace ceems::units {
namespace {

TEST(UnitsSubCollectorTable, RowsSayWhatTheyNeed) {
  std::set<std::string_view> names;
  for (const auto& row : sub_collector_table()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    EXPECT_NE(row.register_flags, nullptr) << row.name;
    EXPECT_NE(row.enabled, nullptr) << row.name;
    EXPECT_NE(row.create, nullptr) << row.name;
    EXPECT_TRUE(row.needs.any()) << row.name << " would not need the walk: then it needs no unit at all";
  }
  EXPECT_EQ(names, (std::set<std::string_view>{"ebpf", "perf", "rdma"}));
}

struct Fixture {
  test_support::TempTree tree;
  HostFs host{tree.path("proc"), tree.path("sys"), tree.path("cg")};
  test_support::NoCommands runner;
  NoPrivileges privileges;
  FlagSet flags{"test"};
};

TEST(UnitsSubCollectorTable, NothingEnabledNeedsNoWalk) {
  Fixture f;
  register_sub_collector_flags(f.flags);
  ASSERT_TRUE(f.flags.parse({}).ok());
  CollectorContext ctx{f.flags, f.host, f.runner, f.privileges, "h", false, log::Logger()};
  auto subs = make_sub_collectors(SubCollectorEnv{ctx, "slurm", {cgroup::Mode::kUnified, "cpuacct"}});
  ASSERT_TRUE(subs.ok()) << subs.error().message();
  EXPECT_TRUE(subs->empty());
  EXPECT_FALSE(subs->needs().any());
}

TEST(UnitsSubCollectorTable, PerfSoftwareEventsNeedProcesses) {
  Fixture f;
  f.tree.write("proc/sys/kernel/perf_event_paranoid", "2\n");
  register_sub_collector_flags(f.flags);
  ASSERT_TRUE(f.flags.parse({"--collector.perf.software-events"}).ok());
  CollectorContext ctx{f.flags, f.host, f.runner, f.privileges, "h", false, log::Logger()};
  test_support::LogCapture quiet;
  auto subs = make_sub_collectors(SubCollectorEnv{ctx, "slurm", {cgroup::Mode::kUnified, "cpuacct"}});
  ASSERT_TRUE(subs.ok()) << subs.error().message();
  EXPECT_FALSE(subs->empty());
  EXPECT_TRUE(subs->needs().procs);
  EXPECT_FALSE(subs->needs().children);
  subs->stop();
}

}  // namespace
}  // namespace ceems::units
