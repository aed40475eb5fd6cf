#include "core/testing/fake_filesystem.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <stdexcept>

namespace ceems::test_support {
namespace {

TEST(CoreFakeFilesystem, InjectedErrorsFailOpeningButNotStat) {
  FakeFilesystem fs;
  fs.add_file("/sys/class/powercap/intel-rapl:0/energy_uj", "12\n", 0400);
  fs.add_dir("/sys/cray/pm_counters");
  fs.add_symlink("/sys/energy", "class/powercap/intel-rapl:0/energy_uj");
  fs.fail("/sys/class/powercap/intel-rapl:0/energy_uj", EACCES);
  fs.fail("/sys/cray/pm_counters", EIO);

  auto denied = fs.read_file("/sys/energy");  // through the symlink too
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind(), ErrorKind::kPermissionDenied);
  EXPECT_EQ(denied.error().message(), "open /sys/energy: Permission denied");
  EXPECT_TRUE(fs.exists("/sys/class/powercap/intel-rapl:0/energy_uj"));

  auto broken = fs.list_dir("/sys/cray/pm_counters");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().kind(), ErrorKind::kIo);
  EXPECT_EQ(broken.error().message(), "open directory /sys/cray/pm_counters: Input/output error");
  EXPECT_TRUE(fs.is_dir("/sys/cray/pm_counters"));
}

TEST(CoreFakeFilesystem, RelativePathsResolveFromTheRoot) {
  FakeFilesystem fs;
  fs.add_file("proc/stat", "cpu 1\n");
  EXPECT_EQ(*fs.read_file("/proc/stat"), "cpu 1\n");
  EXPECT_EQ(*fs.read_file("proc/../proc/stat"), "cpu 1\n");
}

TEST(CoreFakeFilesystem, AddingAnExistingDirectoryKeepsItsContent) {
  FakeFilesystem fs;
  fs.add_file("/d/f", "x");
  fs.add_dir("/d", 0700);
  EXPECT_EQ(*fs.read_file("/d/f"), "x");
  EXPECT_EQ(fs.stat("/d")->mode & 07777, 0700U);
}

TEST(CoreFakeFilesystem, RecreatedDirectoryGetsANewInode) {
  FakeFilesystem fs;
  fs.add_dir("/cg/pool/u1");
  std::vector<DirEntry> before;
  ASSERT_TRUE(fs.list_subdir_entries("/cg/pool", before).ok());
  fs.remove("/cg/pool/u1");
  EXPECT_FALSE(fs.lexists("/cg/pool/u1"));
  fs.add_dir("/cg/pool/u1");
  std::vector<DirEntry> after;
  ASSERT_TRUE(fs.list_subdir_entries("/cg/pool", after).ok());
  ASSERT_EQ(before.size(), 1U);
  ASSERT_EQ(after.size(), 1U);
  EXPECT_NE(before[0].inode, after[0].inode);
}

TEST(CoreFakeFilesystem, FsTypeIsInheritedFromTheNearestMount) {
  constexpr uint64_t kCgroup2 = 0x63677270;
  FakeFilesystem fs;
  fs.add_file("/sys/fs/cgroup/unified/cgroup.controllers", "");
  fs.set_fs_type("/sys/fs/cgroup/unified", kCgroup2);
  EXPECT_EQ(*fs.fs_type("/sys/fs/cgroup"), FakeFilesystem::kDefaultFsType);
  EXPECT_EQ(*fs.fs_type("/sys/fs/cgroup/unified/cgroup.controllers"), kCgroup2);
  auto missing = fs.fs_type("/nowhere");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "statfs /nowhere: No such file or directory");
}

TEST(CoreFakeFilesystem, RecordsEveryCall) {
  FakeFilesystem fs;
  fs.add_file("/d/f", "x");
  (void)fs.read_file("/d/f");
  std::string buf;
  (void)fs.read_into("/d/missing", buf);
  const DirHandle d = fs.open_dir("/d");
  (void)fs.read_at(d, "f", buf);
  (void)fs.list_dir("/d");
  (void)fs.lexists("/d/f");
  EXPECT_EQ(fs.reads(), (std::vector<std::string>{"/d/f", "/d/missing", "/d/f"}));
  EXPECT_EQ(fs.listings(), (std::vector<std::string>{"/d"}));
  EXPECT_EQ(fs.paths({FsOp::kLexists, FsOp::kOpenDir}), (std::vector<std::string>{"/d", "/d/f"}));
  EXPECT_EQ(fs.count_reads([](std::string_view p) { return p == "/d/f"; }), 2U);
  fs.clear_calls();
  EXPECT_TRUE(fs.calls().empty());
}

TEST(CoreFakeFilesystem, BuildingThroughAFileOrUpwardsIsATestError) {
  FakeFilesystem fs;
  fs.add_file("/f", "");
  EXPECT_THROW(fs.add_file("/f/g", ""), std::invalid_argument);
  EXPECT_THROW(fs.add_dir("/a/../b"), std::invalid_argument);
  EXPECT_THROW(fs.fail("/nowhere", EIO), std::invalid_argument);
}

}  // namespace
}  // namespace ceems::test_support
