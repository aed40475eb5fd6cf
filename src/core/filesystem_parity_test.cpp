// The fakes stand in for the disk only if they answer as it does: one tree,
// built on disk and in a FakeFilesystem, asked the same questions through
// PosixFilesystem (with its getdents64 and openat paths) and through the fake.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "core/posix_filesystem.h"
#include "core/testing/fake_filesystem.h"
#include "core/testing/test_support.h"

namespace ceems {
namespace {

using test_support::FakeFilesystem;

struct Node {
  enum Kind { kDir, kFile, kLink } kind;
  std::string rel;
  std::string data;  // content, or link target ("@" stands for the tree's root)
  mode_t mode = 0;
};

const std::vector<Node>& tree() {
  static const std::vector<Node> nodes = {
      {Node::kDir, "a", "", 0755},
      {Node::kDir, "a/b", "", 0750},
      {Node::kDir, "a/b/c", "", 0755},
      {Node::kDir, "a/empty_dir", "", 0700},
      {Node::kFile, "a/f.txt", "hello\n", 0644},
      {Node::kFile, "a/empty", "", 0600},
      {Node::kFile, "a/big", std::string(10000, 'x') + "end", 0644},
      {Node::kFile, "a/b/c/deep", "deep\n", 0444},
      {Node::kFile, "a/secret", "only root\n", 0000},
      {Node::kFile, "top", "t", 0640},
      {Node::kLink, "a/to_dir", "b"},
      {Node::kLink, "a/to_file", "f.txt"},
      {Node::kLink, "a/abs_to_dir", "@/a/b/c"},
      {Node::kLink, "a/dangling", "nowhere"},
      {Node::kLink, "a/b/up", "../f.txt"},
      {Node::kLink, "a/b/to_link", "../to_dir"},
      {Node::kLink, "a/loop", "loop"},
  };
  return nodes;
}

// Paths below the root that the comparison asks about, beyond the tree's own.
const std::vector<std::string> kMorePaths = {
    "",
    "missing",
    "a/missing",
    "a/f.txt/x",
    "a/f.txt/",
    "a/b/",
    "a//b",
    "a/./b/c",
    "a/to_dir/c",
    "a/to_dir/c/deep",
    "a/to_dir/../f.txt",
    "a/b/up/x",
    "a/b/to_link/c",
    "a/abs_to_dir/deep",
    "a/loop/x",
    "a/dangling/x",
};

// Names read below each directory handle.
const std::vector<std::string> kNames = {"f.txt",   "deep", "c/deep", "missing", "c",      "up",
                                         "to_link", "big",  "empty",  "secret",  "../top", "to_file"};

std::string describe(const Error& e) {
  return "error " + std::to_string(static_cast<int>(e.kind())) + ": " + e.message();
}

std::string describe(const Result<std::string>& r) { return r ? "ok: " + *r : describe(r.error()); }

std::string describe(const Status& st, const std::string& buf) {
  return st ? "ok: " + buf : describe(st.error()) + " [" + buf + "]";
}

std::string describe(const std::vector<DirEntry>& entries) {
  std::string out;
  for (const DirEntry& e : entries) {
    out += e.name + (e.is_dir ? " dir" : "") + (e.is_symlink ? " symlink" : "") + "; ";
  }
  return out;
}

std::string describe(const Result<std::vector<DirEntry>>& r) {
  return r ? "ok: " + describe(*r) : describe(r.error());
}

std::string describe(const Result<FileInfo>& r) {
  if (!r) return describe(r.error());
  return "ok: mode " + std::to_string(r->mode) + " uid " + std::to_string(r->uid) + " gid " +
         std::to_string(r->gid) + (r->is_dir ? " dir" : "");
}

// Everything the interface answers about path, in one text per call.
std::vector<std::string> answers(const Filesystem& fs, const std::string& path) {
  std::vector<std::string> out;
  out.push_back("read_file " + describe(fs.read_file(path)));
  out.push_back("read_file/3 " + describe(fs.read_file(path, 3)));
  std::string buf = "stale";
  Status st = fs.read_into(path, buf);
  out.push_back("read_into " + describe(st, buf));
  st = fs.read_into(path, buf, 5000);
  out.push_back("read_into/5000 " + describe(st, buf));
  out.push_back("list_dir " + describe(fs.list_dir(path)));
  std::vector<std::string> names = {"stale"};
  st = fs.list_subdirs(path, names);
  std::string joined;
  for (const std::string& n : names) joined += n + "; ";
  out.push_back("list_subdirs " + describe(st, joined));
  std::vector<DirEntry> entries = {DirEntry{.name = "stale"}};
  st = fs.list_subdir_entries(path, entries);
  out.push_back("list_subdir_entries " + describe(st, describe(entries)));
  out.push_back("stat " + describe(fs.stat(path)));
  out.push_back(std::string("exists ") + (fs.exists(path) ? "yes" : "no"));
  out.push_back(std::string("is_dir ") + (fs.is_dir(path) ? "yes" : "no"));
  out.push_back(std::string("lexists ") + (fs.lexists(path) ? "yes" : "no"));
  out.push_back("read_link " + describe(fs.read_link(path)));
  // The disk's type is not the fake's; whether there is one to tell is the same.
  auto type = fs.fs_type(path);
  out.push_back("fs_type " + (type ? std::string("ok") : describe(type.error())));

  const DirHandle dir = fs.open_dir(path);
  out.push_back("open_dir " + dir.path());
  for (const std::string& name : kNames) {
    buf = "stale";
    st = fs.read_at(dir, name, buf);
    out.push_back("read_at " + name + " " + describe(st, buf));
  }
  for (const char* rel : {"c", "b/c", "to_dir", "missing", "f.txt"}) {
    const DirHandle sub = fs.open_dir_at(dir, rel);
    out.push_back(std::string("open_dir_at ") + rel + " " + sub.path());
    for (const char* name : {"deep", "missing", "c/deep"}) {
      buf = "stale";
      st = fs.read_at(sub, name, buf, 2);
      out.push_back(std::string("read_at ") + rel + "/" + name + " " + describe(st, buf));
    }
  }
  return out;
}

// Inode numbers differ between the two, but each must agree with itself: a
// sub-directory's entry carries the inode its stat reports.
void expect_inodes_consistent(const Filesystem& fs, const std::string& dir) {
  std::vector<DirEntry> subdirs;
  if (!fs.list_subdir_entries(dir, subdirs)) return;
  auto listed = fs.list_dir(dir);
  ASSERT_TRUE(listed.ok());
  for (const DirEntry& e : subdirs) {
    auto st = fs.stat(dir + "/" + e.name);
    ASSERT_TRUE(st.ok()) << e.name;
    EXPECT_EQ(e.inode, st->inode) << dir << "/" << e.name;
    EXPECT_NE(e.inode, 0U);
    for (const DirEntry& l : *listed) {
      if (l.name == e.name) {
        EXPECT_EQ(l.inode, e.inode) << e.name;
      }
    }
  }
}

class CoreFilesystemParity : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string& root = t_.root();
    ::chmod(root.c_str(), 0755);
    fake_.add_dir(root, 0755);
    fake_.set_owner(root, ::geteuid(), ::getegid());
    for (const Node& n : tree()) {
      const std::string path = t_.path(n.rel);
      std::string data = n.data;
      if (data.starts_with("@")) data = root + data.substr(1);
      switch (n.kind) {
        case Node::kDir:
          std::filesystem::create_directory(path);
          ::chmod(path.c_str(), n.mode);
          fake_.add_dir(path, n.mode);
          fake_.set_owner(path, ::geteuid(), ::getegid());
          break;
        case Node::kFile:
          t_.write(n.rel, data, n.mode);
          fake_.add_file(path, data, n.mode);
          fake_.set_owner(path, ::geteuid(), ::getegid());
          break;
        case Node::kLink:
          std::filesystem::create_symlink(data, path);
          fake_.add_symlink(path, data);
          break;
      }
    }
    // Root reads a mode-0 file; anyone else is refused, which the fake must be told.
    if (::geteuid() != 0) fake_.fail(t_.path("a/secret"), EACCES);
  }

  std::vector<std::string> paths() const {
    std::vector<std::string> out;
    for (const Node& n : tree()) out.push_back(t_.path(n.rel));
    for (const std::string& rel : kMorePaths) out.push_back(rel.empty() ? t_.root() : t_.root() + "/" + rel);
    return out;
  }

  test_support::TempTree t_{"ceems_fs_parity"};
  PosixFilesystem disk_;
  FakeFilesystem fake_;
};

TEST_F(CoreFilesystemParity, EveryCallAnswersAsTheDiskDoes) {
  for (const std::string& path : paths()) {
    SCOPED_TRACE(path);
    const std::vector<std::string> want = answers(disk_, path);
    const std::vector<std::string> got = answers(fake_, path);
    ASSERT_EQ(want.size(), got.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]);
  }
}

TEST_F(CoreFilesystemParity, RealFilesystemIsPosix) {
  for (const std::string& path : paths()) {
    SCOPED_TRACE(path);
    EXPECT_EQ(answers(real_filesystem(), path), answers(disk_, path));
  }
}

TEST_F(CoreFilesystemParity, InodesAgreeWithinEach) {
  for (const char* rel : {"", "a", "a/b", "a/to_dir"}) {
    SCOPED_TRACE(rel);
    const std::string dir = *rel == '\0' ? t_.root() : t_.path(rel);
    expect_inodes_consistent(disk_, dir);
    expect_inodes_consistent(fake_, dir);
  }
}

// What was true of the tree stays true after it changes the same way on both.
TEST_F(CoreFilesystemParity, ChangesAnswerAlike) {
  std::filesystem::remove_all(t_.path("a/b"));
  fake_.remove(t_.path("a/b"));
  t_.write("a/new/file", "fresh", 0644);
  ::chmod(t_.path("a/new").c_str(), 0755);
  fake_.add_file(t_.path("a/new/file"), "fresh", 0644);
  fake_.set_owner(t_.path("a/new"), ::geteuid(), ::getegid());
  fake_.set_owner(t_.path("a/new/file"), ::geteuid(), ::getegid());
  for (const std::string& path : paths()) {
    SCOPED_TRACE(path);
    EXPECT_EQ(answers(fake_, path), answers(disk_, path));
  }
  for (const char* rel : {"a", "a/new", "a/new/file"}) {
    SCOPED_TRACE(rel);
    EXPECT_EQ(answers(fake_, t_.path(rel)), answers(disk_, t_.path(rel)));
  }
}

}  // namespace
}  // namespace ceems
