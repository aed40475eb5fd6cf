#include "slurm/slurm_layout.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/testing/overlay_filesystem.h"
#include "core/testing/test_support.h"
#include "units/discovery.h"
#include "units/testing/discover.h"

namespace ceems::slurm {
namespace {

// The cgroup layer's fixture trees (src/cgroup/testdata): Slurm v1 and v2 layouts.
const std::string kTrees = CEEMS_CGROUP_TREES;

// The hand-written matchers agree with the spec's regular expressions (ECMAScript
// leftmost-first semantics equal RE2's for these patterns; '.' excludes '\n' in both).
std::optional<std::string> regex_capture(const std::regex& re, const std::string& s) {
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  return m[1].str();
}

const char* const kSlurmPaths[] = {
    "/sys/fs/cgroup/cpuacct/slurm/uid_1000/job_211",
    "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_211/step_extern/user/task_0",
    "/sys/fs/cgroup/system.slice/slurmstepd.scope/system",
    "/sys/fs/cgroup/system.slice/slurmstepd.scope",
    "/sys/fs/cgroup/cpuacct/slurm_vm/uid_0/job_2/step_0/task_0",
    "/sys/fs/cgroup/system.slice/node1_slurmstepd.scope/job_7/step_batch",
    "/slurm/job_1/slurmX/job_2/x",
    "/slurm/job_/job_5",
    "/slurmjob_5",
    "/slurm/job_5",
    "/a/job_5/slurm",
    "/slurm/uid_0/job_12abc/step_0",
    "/x/slurm_a/job_3/slurm_b/job_",
    "/slurm/job_9\n/x",
    "/sys/fs/cgroup/memory/slurm/uid_1000/job_1009248/step_0",
    "",
    "/",
    "/job_1/slurm/job_2",
};

TEST(SlurmMatchers, SlurmEquivalentToRegex) {
  const std::regex re("^.*/slurm(?:.*?)/job_([0-9]+)(?:.*$)");
  for (const char* p : kSlurmPaths) {
    auto want = regex_capture(re, p);
    auto got = match_slurm_job(p);
    // The multi-slurmd extension only adds matches where the expression has none.
    if (!want && std::string_view(p).find("_slurmstepd.scope") != std::string_view::npos) continue;
    EXPECT_EQ(want.has_value(), got.has_value()) << p;
    if (want && got) {
      EXPECT_EQ(*want, std::string(*got)) << p;
    }
  }
  EXPECT_EQ(*match_slurm_job("/sys/fs/cgroup/cpuacct/slurm/uid_1000/job_211"), "211");
  EXPECT_EQ(*match_slurm_job("/slurm/job_1/slurmX/job_2/x"), "2");
  EXPECT_FALSE(match_slurm_job("/sys/fs/cgroup/system.slice/slurmstepd.scope/system"));
  EXPECT_FALSE(match_slurm_job("/slurm/job_9\n/x"));
}

TEST(SlurmMatchers, SlurmMultiSlurmdScope) {
  EXPECT_EQ(*match_slurm_job("/sys/fs/cgroup/system.slice/node1_slurmstepd.scope/job_42"), "42");
  EXPECT_EQ(*match_slurm_job("/sys/fs/cgroup/system.slice/node1_slurmstepd.scope/job_42/step_0/user/task_0"),
            "42");
  EXPECT_FALSE(match_slurm_job("/sys/fs/cgroup/system.slice/node1_slurmstepd.scope/system"));
  EXPECT_FALSE(match_slurm_job("/sys/fs/cgroup/system.slice/node1_slurmstepd.scope"));
  EXPECT_FALSE(match_slurm_job("/job_42/node1_slurmstepd.scope"));
}

TEST(SlurmMatchers, SlurmChildRule) {
  EXPECT_TRUE(is_slurm_child("/slurm/uid_0/job_1/step_0"));
  EXPECT_FALSE(is_slurm_child("/slurm/uid_0/job_1"));
}

using units::testing::rels;

units::Discovery discovery(const HostFs& host, cgroup::Mode mode, std::string subsystem = "cpuacct") {
  return units::Discovery(host, slurm_layout(mode), cgroup::Hierarchy{mode, std::move(subsystem)},
                          log::Logger());
}

std::vector<ComputeUnit> discover_all(units::Discovery& d) {
  return units::testing::discover_and_walk(d, UnitNeeds{.procs = true, .children = true});
}

TEST(SlurmLayout, V1BothRootLayouts) {
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v1");
  auto d = discovery(host, cgroup::Mode::kLegacy);
  EXPECT_EQ(d.name(), "slurm");
  EXPECT_EQ(d.base(), kTrees + "/v1/cpuacct");
  EXPECT_NE(d.description().find("slurm_*"), std::string::npos) << d.description();
  test_support::LogCapture logs(log::Level::kDebug);
  const auto units = discover_all(d);
  // Roots in lexical order (slurm, slurm_node1); job_40\q cannot be unescaped.
  ASSERT_EQ(units.size(), 3U);
  EXPECT_EQ(units[0].id, "10");
  EXPECT_EQ(units[0].uuid, "10");
  EXPECT_EQ(units[0].path.rel, "slurm/uid_1000/job_10");
  EXPECT_EQ(units[0].path.abs, kTrees + "/v1/cpuacct/slurm/uid_1000/job_10");
  EXPECT_NE(units[0].inode, 0U);
  // 999 has no /proc entry; the children's processes are gathered in walk order.
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{100, 101, 102}));
  EXPECT_EQ(
      rels(units[0].children),
      (std::vector<std::string>{"slurm/uid_1000/job_10", "slurm/uid_1000/job_10/step_0",
                                "slurm/uid_1000/job_10/step_0/task_0", "slurm/uid_1000/job_10/step_extern"}));
  EXPECT_EQ(units[1].id, "30");
  EXPECT_TRUE(units[1].procs.empty());
  // Debian's multi-slurmd root slurm_<node>, uid_0/job_N/step_batch/task_0.
  EXPECT_EQ(units[2].id, "20");
  EXPECT_EQ(units[2].path.rel, "slurm_node1/uid_0/job_20");
  EXPECT_EQ(units[2].procs, (std::vector<pid_t>{200}));
  EXPECT_EQ(rels(units[2].children),
            (std::vector<std::string>{"slurm_node1/uid_0/job_20", "slurm_node1/uid_0/job_20/step_batch",
                                      "slurm_node1/uid_0/job_20/step_batch/task_0",
                                      "slurm_node1/uid_0/job_20/step_extern"}));
  EXPECT_NE(logs.text().find("cannot be unescaped"), std::string::npos);
}

TEST(SlurmLayout, V1MemorySubsystem) {
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v1");
  auto d = discovery(host, cgroup::Mode::kLegacy, "memory");
  const auto units = discover_all(d);
  ASSERT_EQ(units.size(), 3U);
  EXPECT_EQ(units[0].id, "10");
  EXPECT_EQ(units[0].path.abs, kTrees + "/v1/memory/slurm/uid_1000/job_10");
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{100, 101}));
  EXPECT_EQ(units[1].id, "30");
  EXPECT_EQ(units[2].id, "20");
}

TEST(SlurmLayout, V2BothScopeNames) {
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v2");
  auto d = discovery(host, cgroup::Mode::kUnified);
  EXPECT_EQ(d.base(), kTrees + "/v2");
  const auto units = discover_all(d);
  ASSERT_EQ(units.size(), 3U);
  // node1_slurmstepd.scope sorts before slurmstepd.scope.
  EXPECT_EQ(units[0].id, "2");
  EXPECT_EQ(units[0].path.rel, "system.slice/node1_slurmstepd.scope/job_2");
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{200}));
  EXPECT_EQ(units[1].id, "1");
  EXPECT_EQ(units[1].procs, (std::vector<pid_t>{101, 102}));
  EXPECT_EQ(rels(units[1].children),
            (std::vector<std::string>{"system.slice/slurmstepd.scope/job_1",
                                      "system.slice/slurmstepd.scope/job_1/step_0",
                                      "system.slice/slurmstepd.scope/job_1/step_0/user",
                                      "system.slice/slurmstepd.scope/job_1/step_0/user/task_0",
                                      "system.slice/slurmstepd.scope/job_1/step_extern",
                                      "system.slice/slurmstepd.scope/job_1/step_extern/slurm"}));
  EXPECT_EQ(units[2].id, "3");
}

TEST(SlurmLayout, DiscoveryListsNothingBelowUnits) {
  // Without a consumer of processes or child cgroups, no step directory is
  // listed and no cgroup.procs is read.
  test_support::OverlayFilesystem fs;
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v2", &fs);
  auto d = discovery(host, cgroup::Mode::kUnified);
  auto units = d.discover();
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(units->size(), 3U);
  EXPECT_EQ(fs.listings(), (std::vector<std::string>{kTrees + "/v2/system.slice",
                                                     kTrees + "/v2/system.slice/node1_slurmstepd.scope",
                                                     kTrees + "/v2/system.slice/slurmstepd.scope"}));
  for (const auto& p : fs.reads()) EXPECT_TRUE(p.ends_with("/cgroup.events")) << p;
  EXPECT_EQ(fs.reads().size(), 3U);
}

TEST(SlurmLayout, NoRootIsAnError) {
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v1");
  auto d = discovery(host, cgroup::Mode::kLegacy, "pids");
  auto r = d.discover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.error().message().find(kTrees + "/v1/pids/slurm"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find(kTrees + "/v1/pids/slurm_*"), std::string::npos) << r.error().message();

  HostFs v2(kTrees + "/proc", kTrees + "/sys", kTrees + "/nowhere");
  auto d2 = discovery(v2, cgroup::Mode::kUnified);
  auto r2 = d2.discover();
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message().find("slurmstepd.scope"), std::string::npos);
}

TEST(SlurmLayout, UnknownDirectoriesAreReportedOnce) {
  test_support::TempTree t;
  t.write("cg/system.slice/slurmstepd.scope/job_1/cgroup.procs", "");
  t.write("cg/system.slice/slurmstepd.scope/system/cgroup.procs", "");   // slurmstepd's own: expected
  t.write("cg/system.slice/slurmstepd.scope/jobid-2/cgroup.procs", "");  // a naming this layout does not know
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = discovery(host, cgroup::Mode::kUnified);
  test_support::LogCapture logs(log::Level::kWarn);
  ASSERT_EQ(d.discover()->size(), 1U);
  ASSERT_EQ(d.discover()->size(), 1U);
  const std::string text = logs.text();
  EXPECT_NE(text.find("jobid-2"), std::string::npos) << text;
  EXPECT_EQ(text.find("system\""), std::string::npos) << text;
  EXPECT_EQ(text.find("jobid-2"), text.rfind("jobid-2")) << "logged twice: " << text;
}

TEST(SlurmLayout, V2UnitWithoutProcessesIsNotReported) {
  test_support::TempTree t;
  t.write("cg/system.slice/slurmstepd.scope/job_1/cgroup.events", "populated 1\nfrozen 0\n");
  t.write("cg/system.slice/slurmstepd.scope/job_2/cgroup.events", "populated 0\nfrozen 0\n");
  t.write("cg/system.slice/slurmstepd.scope/job_3/cpu.stat", "");  // no cgroup.events: reported
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = discovery(host, cgroup::Mode::kUnified);
  auto units = d.discover();
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 2U);
  EXPECT_EQ((*units)[0].id, "1");
  EXPECT_EQ((*units)[1].id, "3");
}

TEST(SlurmLayout, V1UnitWithoutProcessesIsNotReportedAndRecheckedLater) {
  test_support::TempTree t;
  t.write("cg/cpuacct/slurm/uid_0/job_1/step_0/task_0/cgroup.procs", "42\n");
  t.write("cg/cpuacct/slurm/uid_0/job_2/step_0/task_0/cgroup.procs", "");
  t.write("cg/cpuacct/slurm/uid_0/job_2/cgroup.procs", "");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  units::Discovery d(host, slurm_layout(cgroup::Mode::kLegacy),
                     cgroup::Hierarchy{cgroup::Mode::kLegacy, "cpuacct"}, log::Logger(), [&] { return now; });
  auto ids = [&] {
    std::vector<std::string> out;
    auto found = d.discover();
    EXPECT_TRUE(found.ok());
    if (found) {
      for (const auto& u : *found) out.push_back(u.id);
    }
    return out;
  };
  EXPECT_EQ(ids(), (std::vector<std::string>{"1"}));
  // A process appears in job 2: seen at the next check, not before.
  t.write("cg/cpuacct/slurm/uid_0/job_2/step_0/task_0/cgroup.procs", "43\n");
  now += std::chrono::minutes(1);
  EXPECT_EQ(ids(), (std::vector<std::string>{"1"}));
  now += units::Discovery::kV1Recheck;
  EXPECT_EQ(ids(), (std::vector<std::string>{"1", "2"}));
}

TEST(SlurmLayout, SymlinksAreNotFollowed) {
  test_support::TempTree t;
  t.write("cg/cpuacct/slurm/uid_0/job_1/cgroup.procs", "1\n");
  t.write("elsewhere/job_2/cgroup.procs", "1\n");
  std::filesystem::create_directory_symlink(t.path("elsewhere/job_2"),
                                            t.path("cg/cpuacct/slurm/uid_0/job_2"));
  std::filesystem::create_directory_symlink(t.path("elsewhere"), t.path("cg/cpuacct/slurm_link"));
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = discovery(host, cgroup::Mode::kLegacy);
  auto units = d.discover();
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 1U);
  EXPECT_EQ((*units)[0].id, "1");
}

TEST(SlurmLayout, DuplicateIdsShareProcessesAndChildren) {
  test_support::TempTree t;
  t.write("proc/5/comm", "x");
  t.write("cg/cpuacct/slurm/uid_0/job_7/cgroup.procs", "5\n");
  t.write("cg/cpuacct/slurm_n1/uid_0/job_7/step_0/cgroup.procs", "5\n");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = discovery(host, cgroup::Mode::kLegacy);
  const auto units = discover_all(d);
  ASSERT_EQ(units.size(), 2U);
  EXPECT_EQ(units[0].id, "7");
  EXPECT_EQ(units[1].id, "7");
  EXPECT_EQ(units[0].procs, units[1].procs);
  EXPECT_EQ(units[0].children.size(), 3U);
  EXPECT_EQ(rels(units[0].children), rels(units[1].children));
}

}  // namespace
}  // namespace ceems::slurm
