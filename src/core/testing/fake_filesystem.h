// An in-memory Filesystem: a tree of files, directories and symlinks that a test
// builds, with errors injected where the host would give them (a file only root
// may read, a directory that vanishes while it is walked). Nothing is read from
// the host. filesystem_parity_test.cpp holds it to PosixFilesystem's answers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/filesystem.h"
#include "core/testing/fs_calls.h"

namespace ceems::test_support {

// Paths are resolved as the kernel would (symlinks followed, ".." through them),
// relative ones from "/". Directories may be listed and traversed whatever
// their mode: tests run as root. Thread-safe.
class FakeFilesystem final : public Filesystem, public FsCallLog {
 public:
  // The statfs type of the whole tree unless set_fs_type says otherwise (an
  // in-memory filesystem's, TMPFS_MAGIC).
  static constexpr uint64_t kDefaultFsType = 0x01021994;

  FakeFilesystem();
  ~FakeFilesystem() override;
  FakeFilesystem(const FakeFilesystem&) = delete;
  FakeFilesystem& operator=(const FakeFilesystem&) = delete;

  // Each replaces what path named and creates missing parent directories
  // (0755), except that add_dir on a directory only sets its mode.
  void add_file(const std::string& path, std::string content, mode_t mode = 0644);
  void add_dir(const std::string& path, mode_t mode = 0755);
  void add_symlink(const std::string& path, std::string target);
  // Removes path (not what a symlink there points to) and everything below it.
  void remove(const std::string& path);
  void set_owner(const std::string& path, uid_t uid, gid_t gid);
  // What fs_type reports for path and below (a mount).
  void set_fs_type(const std::string& path, uint64_t magic);
  // Opening the file or directory at path (reading, listing) fails with err
  // from now on; stat and lexists still see it, as with a file only root may
  // read. Marks the node, so a path through a symlink to it fails the same way.
  void fail(const std::string& path, int err);

  Result<std::string> read_file(const std::string& path, size_t max_bytes = kMaxRead) const override;
  Result<std::vector<DirEntry>> list_dir(const std::string& path) const override;
  Result<FileInfo> stat(const std::string& path) const override;
  Result<std::string> read_link(const std::string& path) const override;
  bool lexists(const std::string& path) const override;
  Result<uint64_t> fs_type(const std::string& path) const override;
  Status read_into(const std::string& path, std::string& buf, size_t max_bytes = kMaxRead) const override;
  Status list_subdirs(const std::string& path, std::vector<std::string>& out) const override;
  Status list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const override;
  DirHandle open_dir(std::string path) const override;
  DirHandle open_dir_at(const DirHandle& parent, std::string_view rel) const override;
  Status read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                 size_t max_bytes = kMaxRead) const override;

 private:
  struct Node;
  struct Walk;

  // Callers hold mu_.
  Walk resolve(std::string_view path, bool follow_last) const;
  Node& existing(const std::string& path) const;  // throws when there is none
  Node* make_parents(const std::string& path, std::string& last);
  Node& put(const std::string& path, std::unique_ptr<Node> node);
  Status read_locked(const std::string& path, std::string& buf, size_t max_bytes) const;
  Status list_locked(const std::string& path, bool subdirs_only, std::vector<DirEntry>& out) const;

  mutable std::mutex mu_;
  std::unique_ptr<Node> root_;
  uint64_t next_inode_ = 2;
};

}  // namespace ceems::test_support
