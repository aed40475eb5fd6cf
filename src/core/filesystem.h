// All host access goes through HostFs, rooted at --path.procfs, --path.sysfs and
// --path.cgroupfs, so that a fixture tree stands in for the host in tests.
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

// Reads files and lists directories. Virtual so that tests can count or fail reads.
class Filesystem {
 public:
  virtual ~Filesystem() = default;

  // Whole file, at most max_bytes (pseudo-files report size 0, so the size is not trusted).
  virtual Result<std::string> read_file(const std::string& path, size_t max_bytes = 4 << 20) const;
  // Entries sorted by name, without "." and "..".
  virtual Result<std::vector<DirEntry>> list_dir(const std::string& path) const;
  virtual Result<FileInfo> stat(const std::string& path) const;
  virtual Result<std::string> read_link(const std::string& path) const;
  bool exists(const std::string& path) const { return stat(path).ok(); }
  // Exists without following a final symlink.
  virtual bool lexists(const std::string& path) const;
  bool is_dir(const std::string& path) const;

  // Buffer-reusing variants for hot paths (a big node's scrape reads tens of
  // thousands of cgroup files). The defaults go through read_file and list_dir, so
  // a test double needs to override nothing; the process-wide real filesystem
  // reads straight into the caller's buffers.
  virtual Status read_into(const std::string& path, std::string& buf, size_t max_bytes = 4 << 20) const;
  // Names of the sub-directories (symlinks excluded), sorted; out is cleared first.
  virtual Status list_subdirs(const std::string& path, std::vector<std::string>& out) const;
  // Same, with each sub-directory's inode number (is_dir set, is_symlink false).
  virtual Status list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const;

  // Several files of one directory: its path is resolved once. The defaults go
  // through read_into with the joined path, so a test double sees every read.
  virtual DirHandle open_dir(std::string path) const;
  // A directory below one held open (rel may have several components).
  virtual DirHandle open_dir_at(const DirHandle& parent, std::string_view rel) const;
  virtual Status read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                         size_t max_bytes = 4 << 20) const;
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

 private:
  std::string procfs_;
  std::string sysfs_;
  std::string cgroupfs_;
  const Filesystem* fs_;
};

// Process-wide real filesystem.
const Filesystem& real_filesystem();

}  // namespace ceems
