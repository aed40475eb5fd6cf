// The real disk (PosixFilesystem) with in-memory files laid over chosen paths,
// errors injected on others, and every call recorded: for tests that run a
// collector over a fixture directory and change a file between scrapes, count
// what it read, or make one path fail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/filesystem.h"
#include "core/testing/fs_calls.h"

namespace ceems::test_support {

// Paths are matched as given (no resolution): a collector reads the paths its
// HostFs joins, and those are what a test names. Thread-safe.
class OverlayFilesystem final : public Filesystem, public FsCallLog {
 public:
  // Reads of path return content instead of the disk's (path need not exist
  // there). The file also shows in its directory's listing when that directory
  // exists on disk; no directory is invented for it.
  void set_file(const std::string& path, std::string content);
  void remove_file(const std::string& path);
  // Reading or listing exactly path fails with err; stat and lexists still see
  // what the disk has.
  void fail(const std::string& path, int err);
  // The same for every path pred accepts.
  void fail_where(std::function<bool(std::string_view path)> pred, int err);
  void clear_failures();
  // Runs before each read (read_file, read_into or read_at) with the file's
  // path, outside any lock: a test can change the disk mid-scrape.
  void on_read(std::function<void(const std::string& path)> hook);
  // What fs_type reports for exactly path.
  void set_fs_type(const std::string& path, uint64_t magic);

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
  struct FailRule {
    std::function<bool(std::string_view)> matches;
    int err;
  };

  // errno injected for path, or 0.
  int failure(std::string_view path) const;
  // Runs the hook, then: the injected error, or the overlaid content; nullopt
  // when the disk answers.
  std::optional<Status> overlaid_read(const std::string& path, std::string& buf, size_t max_bytes) const;
  // The overlaid files directly in dir.
  std::vector<std::string> overlaid_names(std::string_view dir) const;

  const Filesystem& disk_ = real_filesystem();
  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::vector<FailRule> failures_;
  std::map<std::string, uint64_t> fs_types_;
  std::function<void(const std::string&)> on_read_;
};

}  // namespace ceems::test_support
