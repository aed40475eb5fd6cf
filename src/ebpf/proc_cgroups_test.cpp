#include "ebpf/proc_cgroups.h"

#include <gtest/gtest.h>

namespace ceems::ebpf {
namespace {

constexpr const char* kHybridHost =
    "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
    "cpuset\t3\t1\t1\n"
    "cpu\t1\t1\t1\n"
    "cpuacct\t2\t1\t1\n"
    "blkio\t7\t1\t1\n"
    "memory\t4\t29\t1\n"
    "devices\t5\t1\t1\n"
    "freezer\t6\t1\t1\n"
    "net_cls\t0\t1\t1\n"
    "perf_event\t0\t1\t1\n"
    "net_prio\t0\t1\t1\n"
    "hugetlb\t0\t1\t1\n"
    "pids\t8\t1\t1\n";

TEST(EbpfProcCgroups, IndexIsTheLineOrder) {
  const ProcCgroups p = parse_proc_cgroups(kHybridHost);
  ASSERT_EQ(p.controllers.size(), 12U);
  EXPECT_FALSE(p.truncated);
  EXPECT_EQ(p.controllers[4].name, "memory");
  EXPECT_EQ(p.controllers[4].hierarchy, 4U);
  EXPECT_EQ(subsystem_index(p, "cpuacct"), 2U);
  EXPECT_EQ(subsystem_index(p, "memory"), 4U);
  EXPECT_EQ(subsystem_index(p, " pids\n"), 11U);
}

TEST(EbpfProcCgroups, UnknownSubsystemFallsBackToZero) {
  EXPECT_EQ(subsystem_index(parse_proc_cgroups(kHybridHost), "rdma"), 0U);
  EXPECT_EQ(subsystem_index(parse_proc_cgroups(""), "cpuacct"), 0U);
}

TEST(EbpfProcCgroups, BadHierarchyKeepsTheIndexRunning) {
  const ProcCgroups p = parse_proc_cgroups(
      "#subsys_name hierarchy num_cgroups enabled\n"
      "cpuset x 1 1\n"
      "cpu\n"
      "cpuacct 2 1 1\n");
  ASSERT_EQ(p.controllers.size(), 1U);
  EXPECT_EQ(p.controllers[0].name, "cpuacct");
  EXPECT_EQ(p.controllers[0].index, 2U);
  EXPECT_EQ(subsystem_index(p, "cpuset"), 0U);
}

TEST(EbpfProcCgroups, StopsAtFifteenControllers) {
  std::string text = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n";
  for (int i = 0; i < 17; ++i) text += "c" + std::to_string(i) + "\t0\t1\t1\n";
  const ProcCgroups p = parse_proc_cgroups(text);
  EXPECT_TRUE(p.truncated);
  ASSERT_EQ(p.controllers.size(), 15U);
  EXPECT_EQ(subsystem_index(p, "c14"), 14U);
  EXPECT_EQ(subsystem_index(p, "c15"), 0U);
}

TEST(EbpfProcCgroups, HeaderOnly) {
  const ProcCgroups p = parse_proc_cgroups("#subsys_name\thierarchy\tnum_cgroups\tenabled\n");
  EXPECT_TRUE(p.controllers.empty());
  EXPECT_FALSE(p.truncated);
}

}  // namespace
}  // namespace ceems::ebpf
