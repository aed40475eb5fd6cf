#include "cgroup/mode.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/testing/fake_filesystem.h"
#include "core/testing/overlay_filesystem.h"

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

TEST(CgroupResolveMode, ForcedAndProbed) {
  constexpr uint64_t kCgroup2 = 0x63677270, kTmpfs = 0x01021994;
  test_support::FakeFilesystem never;
  EXPECT_EQ(resolve_mode("v1", "/x", never), Mode::kLegacy);
  EXPECT_EQ(resolve_mode("v2", "/x", never), Mode::kUnified);
  EXPECT_TRUE(never.calls().empty());  // forced: nothing is probed

  {
    test_support::FakeFilesystem fs;
    fs.add_dir("/cg");
    fs.set_fs_type("/cg", kCgroup2);
    EXPECT_EQ(resolve_mode("", "/cg", fs), Mode::kUnified);
    EXPECT_EQ(fs.paths({test_support::FsOp::kFsType}).front(), "/cg");  // the given root, not /sys/fs/cgroup
  }
  {
    test_support::FakeFilesystem fs;
    fs.add_dir("/cg/unified");
    fs.set_fs_type("/cg", kTmpfs);
    fs.set_fs_type("/cg/unified", kCgroup2);
    EXPECT_EQ(resolve_mode("", "/cg", fs), Mode::kHybrid);
  }
  {
    test_support::FakeFilesystem fs;
    fs.add_dir("/cg");
    fs.set_fs_type("/cg", kTmpfs);
    EXPECT_EQ(resolve_mode("", "/cg", fs), Mode::kLegacy);
  }
  {
    test_support::FakeFilesystem fs;
    EXPECT_EQ(resolve_mode("", "/cg", fs), Mode::kUnavailable);
  }

  // A plain directory with cgroup.controllers at its root (a v2 fixture tree).
  test_support::OverlayFilesystem fixture;
  fixture.set_fs_type(kData + "/v2", kTmpfs);
  fixture.set_fs_type(kData + "/v1", kTmpfs);
  EXPECT_EQ(resolve_mode("", kData + "/v2", fixture), Mode::kUnified);
  EXPECT_EQ(resolve_mode("", kData + "/v1", fixture), Mode::kLegacy);
  // The real probe on a fixture directory.
  EXPECT_EQ(resolve_mode("", kData + "/v2"), Mode::kUnified);
  EXPECT_EQ(resolve_mode("", kData + "/v1"), Mode::kLegacy);
  EXPECT_EQ(resolve_mode("", kData + "/does-not-exist"), Mode::kUnavailable);
  EXPECT_EQ(mode_name(Mode::kHybrid), "hybrid");
  EXPECT_TRUE(is_v2(Mode::kUnified));
  EXPECT_FALSE(is_v2(Mode::kHybrid));
}

TEST(CgroupHierarchy, FromFlags) {
  FlagSet flags("test");
  register_cgroup_flags(flags);
  ASSERT_TRUE(
      flags.parse({"--collector.cgroups.force-version=v1", "--collector.cgroup.active-subsystem=memory"})
          .ok());
  Hierarchy h = hierarchy_from_flags(flags, HostFs("/proc", "/sys", kData + "/v2"));
  EXPECT_EQ(h.mode, Mode::kLegacy);
  EXPECT_EQ(h.active_subsystem, "memory");
}

}  // namespace
}  // namespace ceems::cgroup
