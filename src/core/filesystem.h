// All host access goes through HostFs, rooted at --path.procfs, --path.sysfs and
// --path.cgroupfs, and every read of those trees through a Filesystem, so that a
// test can hand a collector an in-memory tree (core/testing/fake_filesystem.h) or
// a fixture directory with chosen faults (core/testing/overlay_filesystem.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ceems {

struct DirEntry {
  std::string name;
  bool is_dir = false;  // directory, or symlink to one
  bool is_symlink = false;
  uint64_t inode = 0;  // d_ino: tells a recreated directory of the same name from the old one
};

struct FileInfo {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t inode = 0;
  bool is_dir = false;
};

// A directory held open so that the files in it are opened without resolving
// its path again (openat). Move-only; a handle without a descriptor (a test
// double's, or a directory that could not be opened) reads by path.
class DirHandle {
 public:
  DirHandle() = default;
  DirHandle(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~DirHandle();
  DirHandle(DirHandle&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) { o.fd_ = -1; }
  DirHandle& operator=(DirHandle&& o) noexcept;
  DirHandle(const DirHandle&) = delete;
  DirHandle& operator=(const DirHandle&) = delete;

  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  std::string file(std::string_view name) const;

 private:
  std::string path_;
  int fd_ = -1;
};

// Reads files and lists directories. Pure, so that a test double answers every
// call itself instead of quietly reading the host for what it does not
// override; the real disk is PosixFilesystem (real_filesystem()). Errors carry
// the errno of the system call the real disk would fail in, and messages name
// the path as it would ("open P", "open directory P", "read P", "stat P",
// "readlink P", "statfs P").
class Filesystem {
 public:
  static constexpr size_t kMaxRead = 4 << 20;

  virtual ~Filesystem() = default;

  // Whole file, at most max_bytes (pseudo-files report size 0, so the size is not trusted).
  virtual Result<std::string> read_file(const std::string& path, size_t max_bytes = kMaxRead) const = 0;
  // Entries sorted by name, without "." and "..".
  virtual Result<std::vector<DirEntry>> list_dir(const std::string& path) const = 0;
  virtual Result<FileInfo> stat(const std::string& path) const = 0;
  virtual Result<std::string> read_link(const std::string& path) const = 0;
  // Exists without following a final symlink.
  virtual bool lexists(const std::string& path) const = 0;
  // The f_type of statfs(2): what is mounted at or above path.
  virtual Result<uint64_t> fs_type(const std::string& path) const = 0;

  // Buffer-reusing variants for hot paths (a big node's scrape reads tens of
  // thousands of cgroup files).
  virtual Status read_into(const std::string& path, std::string& buf, size_t max_bytes = kMaxRead) const = 0;
  // Names of the sub-directories (symlinks excluded), sorted; out is cleared first.
  virtual Status list_subdirs(const std::string& path, std::vector<std::string>& out) const = 0;
  // Same, with each sub-directory's inode number (is_dir set, is_symlink false).
  virtual Status list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const = 0;

  // Several files of one directory: its path is resolved once. Opening never
  // fails; a directory that cannot be opened fails each read_at instead.
  virtual DirHandle open_dir(std::string path) const = 0;
  // A directory below one held open (rel may have several components).
  virtual DirHandle open_dir_at(const DirHandle& parent, std::string_view rel) const = 0;
  // name may have several components.
  virtual Status read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                         size_t max_bytes = kMaxRead) const = 0;

  bool exists(const std::string& path) const { return stat(path).ok(); }
  bool is_dir(const std::string& path) const {
    auto st = stat(path);
    return st.ok() && st->is_dir;
  }
};

// The roots given on the command line. Paths are joined textually (a relative
// --path.sysfs stays relative, as metric labels echo it).
class HostFs {
 public:
  HostFs(std::string procfs, std::string sysfs, std::string cgroupfs, const Filesystem* fs = nullptr);

  std::string proc(std::string_view rel) const { return join(procfs_, rel); }
  std::string sys(std::string_view rel) const { return join(sysfs_, rel); }
  std::string cgroup(std::string_view rel) const { return join(cgroupfs_, rel); }

  const std::string& procfs_root() const { return procfs_; }
  const std::string& sysfs_root() const { return sysfs_; }
  const std::string& cgroupfs_root() const { return cgroupfs_; }

  const Filesystem& fs() const { return *fs_; }

  static std::string join(std::string_view a, std::string_view b);

  // Fails when --path.sysfs does not name a directory ("failed to open sysfs: ..."):
  // the start-up check of the collectors that read sysfs.
  Status check_sysfs_root() const;

 private:
  std::string procfs_;
  std::string sysfs_;
  std::string cgroupfs_;
  const Filesystem* fs_;
};

// Process-wide real filesystem (a PosixFilesystem).
const Filesystem& real_filesystem();

}  // namespace ceems
