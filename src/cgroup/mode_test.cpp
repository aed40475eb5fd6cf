#include "cgroup/mode.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace ceems::cgroup {
namespace {

const std::string kData = CEEMS_TEST_DATA_DIR;

TEST(CgroupFlags, Registered) {
  FlagSet flags("test");
  register_cgroup_flags(flags);
  register_cgroup_flags(flags);  // idempotent
  ASSERT_TRUE(flags.parse({}).ok());
  EXPECT_EQ(flags.get_string("collector.cgroups.force-version"), "");
  EXPECT_EQ(flags.get_string("collector.cgroup.active-subsystem"), "cpuacct");
  EXPECT_EQ(flags.usage().find("force-version"), std::string::npos);  // hidden
  EXPECT_NE(flags.usage().find("Active cgroup subsystem for cgroups v1."), std::string::npos);

  FlagSet f2("test");
  register_cgroup_flags(f2);
  ASSERT_TRUE(
      f2.parse({"--collector.cgroups.force-version=v2", "--collector.cgroup.active-subsystem=memory"}).ok());
  EXPECT_EQ(f2.get_string("collector.cgroups.force-version"), "v2");
  EXPECT_EQ(f2.get_string("collector.cgroup.active-subsystem"), "memory");

  FlagSet f3("test");
  register_cgroup_flags(f3);
  EXPECT_FALSE(f3.parse({"--collector.cgroups.force-version=v3"}).ok());
}

TEST(ResolveMode, ForcedAndProbed) {
  constexpr uint64_t kCgroup2 = 0x63677270, kTmpfs = 0x01021994;
  auto never = [](const std::string&) -> Result<uint64_t> { return Error(ErrorKind::kIo, "must not probe"); };
  EXPECT_EQ(resolve_mode("v1", "/x", never), Mode::kLegacy);
  EXPECT_EQ(resolve_mode("v2", "/x", never), Mode::kUnified);

  std::map<std::string, uint64_t> fs_types;
  std::vector<std::string> probed;
  auto fake = [&](const std::string& p) -> Result<uint64_t> {
    probed.push_back(p);
    auto it = fs_types.find(p);
    if (it == fs_types.end()) return Error(ErrorKind::kNotFound, "statfs " + p);
    return it->second;
  };
  fs_types = {{"/cg", kCgroup2}};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kUnified);
  EXPECT_EQ(probed.front(), "/cg");  // the given root, not /sys/fs/cgroup
  fs_types = {{"/cg", kTmpfs}, {"/cg/unified", kCgroup2}};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kHybrid);
  fs_types = {{"/cg", kTmpfs}};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kLegacy);
  fs_types = {};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kUnavailable);

  // A plain directory with cgroup.controllers at its root (a v2 fixture tree).
  fs_types = {{kData + "/v2", kTmpfs}, {kData + "/v1", kTmpfs}};
  EXPECT_EQ(resolve_mode("", kData + "/v2", fake), Mode::kUnified);
  EXPECT_EQ(resolve_mode("", kData + "/v1", fake), Mode::kLegacy);
  // The real probe on a fixture directory.
  EXPECT_EQ(resolve_mode("", kData + "/v2"), Mode::kUnified);
  EXPECT_EQ(resolve_mode("", kData + "/v1"), Mode::kLegacy);
  EXPECT_EQ(resolve_mode("", kData + "/does-not-exist"), Mode::kUnavailable);
  EXPECT_EQ(mode_name(Mode::kHybrid), "hybrid");
  EXPECT_TRUE(is_v2(Mode::kUnified));
  EXPECT_FALSE(is_v2(Mode::kHybrid));
}

TEST(Hierarchy, FromFlags) {
  FlagSet flags("test");
  register_cgroup_flags(flags);
  ASSERT_TRUE(
      flags.parse({"--collector.cgroups.force-version=v1", "--collector.cgroup.active-subsystem=memory"})
          .ok());
  Hierarchy h = hierarchy_from_flags(flags, kData + "/v2");
  EXPECT_EQ(h.mode, Mode::kLegacy);
  EXPECT_EQ(h.active_subsystem, "memory");
}

}  // namespace
}  // namespace ceems::cgroup
