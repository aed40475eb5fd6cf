// The real disk behind Filesystem.
#pragma once

#include "core/filesystem.h"

namespace ceems {

// The hot paths go straight to the system calls with the caller's buffers:
// getdents64 for sub-directory listings, openat below a directory held open.
// Stateless, so one instance (real_filesystem()) serves every thread.
class PosixFilesystem final : public Filesystem {
 public:
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
};

}  // namespace ceems
