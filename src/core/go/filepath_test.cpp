#include "core/go/filepath.h"

#include <gtest/gtest.h>

#include "core/testing/fake_filesystem.h"

namespace ceems::go {
namespace {

TEST(GoFilepath, CleanFollowsGoRules) {
  EXPECT_EQ(clean_path("pkg/collector/testdata/sys/class/powercap/intel-rapl:0"),
            "pkg/collector/testdata/sys/class/powercap/intel-rapl:0");
  EXPECT_EQ(clean_path("/sys/class/powercap/intel-rapl:0"), "/sys/class/powercap/intel-rapl:0");
  EXPECT_EQ(clean_path("./sys//class/"), "sys/class");
  EXPECT_EQ(clean_path("/sys/../sys/./class"), "/sys/class");
  EXPECT_EQ(clean_path("/../x"), "/x");
  EXPECT_EQ(clean_path("../a/../../b"), "../../b");
  EXPECT_EQ(clean_path("a/.."), ".");
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("//"), "/");
}

// The layout of /sys/class/hwmon: a class link to the hwmon directory below its
// device, and a relative `device` link back up.
void hwmon_tree(test_support::FakeFilesystem& fs) {
  fs.add_file("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/hwmon/hwmon1/name", "power_meter\n");
  fs.add_symlink("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/hwmon/hwmon1/device",
                 "../../../ACPI000D:00");
  fs.add_symlink("/sys/class/hwmon/hwmon1", "../../devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/hwmon/hwmon1");
}

TEST(GoFilepath, EvalSymlinksFollowsRelativeLinksThroughLinkedDirectories) {
  test_support::FakeFilesystem fs;
  hwmon_tree(fs);
  auto resolved = eval_symlinks(fs, "/sys/class/hwmon/hwmon1/device");
  ASSERT_TRUE(resolved.ok()) << resolved.error().message();
  EXPECT_EQ(*resolved, "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00");
  EXPECT_EQ(*eval_symlinks(fs, "/sys/class/hwmon/hwmon1/device/hwmon/hwmon1/name"),
            "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/hwmon/hwmon1/name");
  EXPECT_EQ(*eval_symlinks(fs, "/sys/class/hwmon/./hwmon1/"),
            "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00/hwmon/hwmon1");
}

TEST(GoFilepath, EvalSymlinksAbsoluteTargetRestartsAtTheRoot) {
  test_support::FakeFilesystem fs;
  fs.add_file("/data/real/file", "x");
  fs.add_symlink("/link", "/data/real");
  EXPECT_EQ(*eval_symlinks(fs, "/link/file"), "/data/real/file");
}

TEST(GoFilepath, EvalSymlinksFailsOnMissingComponentsAndLoops) {
  test_support::FakeFilesystem fs;
  fs.add_symlink("/a", "b");
  fs.add_symlink("/b", "a");
  fs.add_file("/dir/file", "x");
  auto missing = eval_symlinks(fs, "/dir/nothing/file");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message().find("/dir/nothing"), std::string::npos);
  auto loop = eval_symlinks(fs, "/a");
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message().find("too many links"), std::string::npos);
}

}  // namespace
}  // namespace ceems::go
