#include "units/discovery.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "core/strings.h"
#include "core/testing/overlay_filesystem.h"
#include "core/testing/test_support.h"

namespace ceems::units {
namespace {

// A layout of this test's own: roots `pool*` under the base, units `u<n>`
// directly under a root or one `group_*` level further, `/sub` marks a child.
std::optional<std::string_view> unit_id(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = path.substr(slash + 1);
  if (!starts_with(name, "u") || name.size() < 2) return std::nullopt;
  return name.substr(1);
}

Layout test_layout() {
  Layout l;
  l.name = "test";
  l.roots = {{"", [](std::string_view n) { return starts_with(n, "pool"); }, {"pool*"}}};
  l.descend = [](std::string_view n) { return starts_with(n, "group_"); };
  l.unit_id = &unit_id;
  l.is_child = [](std::string_view raw) { return raw.find("/sub") != std::string_view::npos; };
  l.expected_other = [](std::string_view n) { return n == "known"; };
  l.warn_unexpected = true;
  return l;
}

Discovery make(const HostFs& host) {
  return Discovery(host, test_layout(), cgroup::Hierarchy{cgroup::Mode::kUnified, "cpuacct"}, log::Logger());
}

std::vector<std::string> ids(const std::vector<ComputeUnit>& units) {
  std::vector<std::string> out;
  for (const auto& u : units) out.push_back(u.id);
  return out;
}

TEST(UnitsDiscovery, UnitsUnderRootsAndDescendedLevels) {
  test_support::TempTree t;
  t.write("cg/pool_a/u1/cgroup.procs", "");
  t.write("cg/pool_a/group_x/u2/cgroup.procs", "");
  t.write("cg/pool_a/group_x/group_y/u9/cgroup.procs", "");  // one level of descent only
  t.write("cg/pool_b/u3/sub/cgroup.procs", "");
  t.write("cg/other/u4/cgroup.procs", "");  // not under a root
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = make(host);
  auto units = d.discover();
  ASSERT_TRUE(units.ok()) << units.error().message();
  EXPECT_EQ(ids(*units), (std::vector<std::string>{"2", "1", "3"}));
  EXPECT_EQ((*units)[0].path.rel, "pool_a/group_x/u2");
  EXPECT_EQ((*units)[0].path.abs, t.path("cg") + "/pool_a/group_x/u2");
  EXPECT_TRUE((*units)[0].procs.empty());
  EXPECT_TRUE((*units)[0].children.empty());
  EXPECT_NE(d.description().find(t.path("cg") + "/pool*"), std::string::npos) << d.description();
}

TEST(UnitsDiscovery, WalkFillsOnlyWhatIsAskedAndKeepsLivePids) {
  test_support::TempTree t;
  t.write("proc/10/comm", "a");
  t.write("proc/11/comm", "b");
  t.write("cg/pool/u1/cgroup.procs", "10\n");
  t.write("cg/pool/u1/sub/cgroup.procs", "11\n999\nnot-a-pid\n");
  t.write("cg/pool/u2/cgroup.procs", "11\n");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = make(host);
  auto units = d.discover();
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 2U);

  d.walk(*units, UnitNeeds{.procs = true});
  EXPECT_EQ((*units)[0].procs, (std::vector<pid_t>{10, 11}));
  EXPECT_TRUE((*units)[0].children.empty());

  std::vector<ComputeUnit*> only_second{&(*units)[1]};
  d.walk(only_second, UnitNeeds{.children = true});
  EXPECT_TRUE((*units)[1].procs.empty());
  ASSERT_EQ((*units)[1].children.size(), 1U);
  EXPECT_EQ((*units)[1].children[0].rel, "pool/u2");
  EXPECT_EQ((*units)[0].procs, (std::vector<pid_t>{10, 11}));  // untouched
}

TEST(UnitsDiscovery, VanishedCgroupIsSkipped) {
  test_support::TempTree t;
  t.write("proc/10/comm", "a");
  t.write("cg/pool/u1/cgroup.procs", "10\n");
  t.write("cg/pool/u1/sub/cgroup.procs", "10\n");
  t.write("cg/pool/group_g/u2/cgroup.procs", "10\n");
  // One directory vanishes between the parent's listing and its own (a job
  // ending during the walk).
  test_support::OverlayFilesystem fs;
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"), &fs);
  auto d = make(host);
  test_support::LogCapture logs(log::Level::kDebug);
  fs.fail(t.path("cg/pool/group_g"), ENOENT);
  auto units = d.discover();
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(ids(*units), (std::vector<std::string>{"1"}));
  fs.clear_failures();
  fs.fail(t.path("cg/pool/u1/sub"), ENOENT);
  d.walk(*units, UnitNeeds{.procs = true, .children = true});
  EXPECT_EQ((*units)[0].procs, (std::vector<pid_t>{10}));
  EXPECT_EQ((*units)[0].children.size(), 1U);
  EXPECT_NE(logs.text().find("vanished"), std::string::npos);
}

TEST(UnitsDiscovery, UnexpectedEntriesAreWarnedOnceWithAnExample) {
  test_support::TempTree t;
  t.write("cg/pool/u1/cgroup.procs", "");
  t.write("cg/pool/known/cgroup.procs", "");
  t.write("cg/pool/strange/cgroup.procs", "");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = make(host);
  test_support::LogCapture logs(log::Level::kWarn);
  (void)d.discover();
  (void)d.discover();
  const std::string text = logs.text();
  EXPECT_NE(text.find(t.path("cg") + "/pool/strange"), std::string::npos) << text;
  EXPECT_EQ(text.find("/pool/known"), std::string::npos) << text;
  EXPECT_EQ(text.find("strange"), text.rfind("strange")) << text;
}

TEST(UnitsDiscovery, NoRootIsAnErrorNamingThePatterns) {
  test_support::TempTree t;
  t.write("cg/elsewhere/u1/cgroup.procs", "");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = make(host);
  auto r = d.discover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.error().message().find("no test cgroup hierarchy found"), std::string::npos);
  EXPECT_NE(r.error().message().find(t.path("cg") + "/pool*"), std::string::npos) << r.error().message();
}

TEST(UnitsDiscovery, RecreatedDirectoryHasANewInode) {
  test_support::TempTree t;
  t.write("cg/pool/u1/cgroup.procs", "");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto d = make(host);
  auto first = d.discover();
  ASSERT_TRUE(first.ok());
  // Keep the old inode in use so that the new directory cannot reuse its number.
  std::filesystem::rename(t.path("cg/pool/u1"), t.path("cg/old"));
  t.write("cg/pool/u1/cgroup.procs", "");
  auto second = d.discover();
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1U);
  EXPECT_NE((*first)[0].inode, (*second)[0].inode);
}

}  // namespace
}  // namespace ceems::units
