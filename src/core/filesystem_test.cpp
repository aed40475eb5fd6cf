#include "core/filesystem.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ceems {
namespace {

class CoreFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/fs_test_" + std::to_string(::getpid());
    std::filesystem::create_directories(root_ + "/sub/dir");
    std::ofstream(root_ + "/sub/b.txt") << "bee";
    std::ofstream(root_ + "/sub/a.txt") << "ay";
    std::filesystem::create_directory_symlink(root_ + "/sub/dir", root_ + "/sub/link");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST_F(CoreFilesystemTest, ReadListStat) {
  const Filesystem& fs = real_filesystem();
  EXPECT_EQ(*fs.read_file(root_ + "/sub/b.txt"), "bee");
  EXPECT_EQ(*fs.read_file(root_ + "/sub/b.txt", 2), "be");
  auto entries = fs.list_dir(root_ + "/sub");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].name, "a.txt");
  EXPECT_TRUE((*entries)[2].is_dir);
  EXPECT_TRUE((*entries)[3].is_symlink);
  EXPECT_TRUE((*entries)[3].is_dir);
  EXPECT_TRUE(fs.is_dir(root_ + "/sub"));
  EXPECT_FALSE(fs.is_dir(root_ + "/sub/a.txt"));
}

TEST_F(CoreFilesystemTest, ErrorsAreTyped) {
  const Filesystem& fs = real_filesystem();
  auto missing = fs.read_file(root_ + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message().find(root_ + "/nope"), std::string::npos);
  if (::geteuid() != 0) {
    ::chmod((root_ + "/sub/a.txt").c_str(), 0);
    EXPECT_EQ(fs.read_file(root_ + "/sub/a.txt").error().kind(), ErrorKind::kPermissionDenied);
  }
}

TEST(CoreHostFs, JoinsTextually) {
  HostFs h("proc", "pkg/testdata/sys", "/sys/fs/cgroup");
  EXPECT_EQ(h.sys("class/powercap"), "pkg/testdata/sys/class/powercap");
  EXPECT_EQ(h.proc("/stat"), "proc/stat");
  EXPECT_EQ(h.cgroup(""), "/sys/fs/cgroup");
  EXPECT_EQ(HostFs::join("/a/", "b"), "/a/b");
}

}  // namespace
}  // namespace ceems
