#include "core/testing/overlay_filesystem.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "core/testing/test_support.h"

namespace ceems::test_support {
namespace {

class CoreOverlayFilesystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.write("proc/stat", "cpu 1 2 3\n");
    t_.write("proc/meminfo", "MemTotal: 1 kB\n");
    t_.mkdir("proc/1");
    t_.write("proc/1/environ", "A=1");
  }
  TempTree t_{"ceems_overlay"};
  OverlayFilesystem fs_;
};

TEST_F(CoreOverlayFilesystemTest, OverlaidFilesWinOverTheDiskThroughEveryRead) {
  fs_.set_file(t_.path("proc/stat"), "cpu 9 9 9\n");
  fs_.set_file(t_.path("proc/extra"), "only in memory\n");
  EXPECT_EQ(*fs_.read_file(t_.path("proc/stat")), "cpu 9 9 9\n");
  EXPECT_EQ(*fs_.read_file(t_.path("proc/meminfo")), "MemTotal: 1 kB\n");
  std::string buf;
  ASSERT_TRUE(fs_.read_into(t_.path("proc/extra"), buf, 4).ok());
  EXPECT_EQ(buf, "only");
  const DirHandle proc = fs_.open_dir(t_.path("proc"));
  ASSERT_TRUE(fs_.read_at(proc, "stat", buf).ok());
  EXPECT_EQ(buf, "cpu 9 9 9\n");
  ASSERT_TRUE(fs_.read_at(proc, "1/environ", buf).ok());
  EXPECT_EQ(buf, "A=1");

  auto entries = fs_.list_dir(t_.path("proc"));
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> names;
  for (const DirEntry& e : *entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"1", "extra", "meminfo", "stat"}));
  EXPECT_TRUE(fs_.exists(t_.path("proc/extra")));
  EXPECT_TRUE(fs_.lexists(t_.path("proc/extra")));

  fs_.remove_file(t_.path("proc/stat"));
  EXPECT_EQ(*fs_.read_file(t_.path("proc/stat")), "cpu 1 2 3\n");
}

TEST_F(CoreOverlayFilesystemTest, ChosenPathsFail) {
  fs_.fail(t_.path("proc/1"), ENOENT);
  fs_.fail_where([](std::string_view p) { return p.ends_with("/meminfo"); }, EACCES);
  std::vector<std::string> subdirs;
  auto st = fs_.list_subdirs(t_.path("proc/1"), subdirs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(fs_.is_dir(t_.path("proc/1")));
  auto denied = fs_.read_file(t_.path("proc/meminfo"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().message(), "open " + t_.path("proc/meminfo") + ": Permission denied");
  ASSERT_TRUE(fs_.list_subdirs(t_.path("proc"), subdirs).ok());
  EXPECT_EQ(subdirs, (std::vector<std::string>{"1"}));

  fs_.clear_failures();
  EXPECT_TRUE(fs_.read_file(t_.path("proc/meminfo")).ok());
}

TEST_F(CoreOverlayFilesystemTest, HookRunsBeforeEachReadAndCallsAreRecorded) {
  fs_.on_read([&](const std::string& path) {
    if (path.ends_with("/environ")) std::filesystem::remove_all(t_.path("proc/1"));
  });
  auto gone = fs_.read_file(t_.path("proc/1/environ"));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind(), ErrorKind::kNotFound);
  (void)fs_.read_file(t_.path("proc/stat"));
  (void)fs_.list_dir(t_.path("proc"));
  EXPECT_EQ(fs_.reads(), (std::vector<std::string>{t_.path("proc/1/environ"), t_.path("proc/stat")}));
  EXPECT_EQ(fs_.listings(), (std::vector<std::string>{t_.path("proc")}));
  EXPECT_EQ(fs_.count_reads([](std::string_view p) { return p.ends_with("/environ"); }), 1U);
}

TEST_F(CoreOverlayFilesystemTest, FsTypeCanBeSet) {
  constexpr uint64_t kTmpfs = 0x01021994;
  fs_.set_fs_type(t_.path("proc"), kTmpfs);
  EXPECT_EQ(*fs_.fs_type(t_.path("proc")), kTmpfs);
  EXPECT_TRUE(fs_.fs_type(t_.root()).ok());
  EXPECT_FALSE(fs_.fs_type(t_.path("missing")).ok());
}

}  // namespace
}  // namespace ceems::test_support
