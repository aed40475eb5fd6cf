// The record of Filesystem calls that the test doubles keep, so that a test can
// assert what a collector read, listed or probed, and how often.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ceems::test_support {

enum class FsOp {
  kReadFile,
  kReadInto,
  kReadAt,
  kListDir,
  kListSubdirs,
  kListSubdirEntries,
  kStat,
  kLexists,
  kReadLink,
  kFsType,
  kOpenDir,
  kOpenDirAt,
};

struct FsCall {
  FsOp op;
  std::string path;  // for read_at and open_dir_at, the joined path
};

// Thread-safe: collectors read from several threads at once.
class FsCallLog {
 public:
  std::vector<FsCall> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void clear_calls() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }
  // The paths of the calls whose operation is one of ops, in call order.
  std::vector<std::string> paths(std::initializer_list<FsOp> ops) const {
    std::vector<std::string> out;
    std::lock_guard lock(mu_);
    for (const FsCall& c : calls_) {
      for (FsOp op : ops) {
        if (c.op == op) {
          out.push_back(c.path);
          break;
        }
      }
    }
    return out;
  }
  // Files read, by any of read_file, read_into and read_at (failed attempts included).
  std::vector<std::string> reads() const { return paths({FsOp::kReadFile, FsOp::kReadInto, FsOp::kReadAt}); }
  // Directories listed, by any of list_dir, list_subdirs and list_subdir_entries.
  std::vector<std::string> listings() const {
    return paths({FsOp::kListDir, FsOp::kListSubdirs, FsOp::kListSubdirEntries});
  }
  size_t count_reads(const std::function<bool(std::string_view path)>& pred) const {
    size_t n = 0;
    for (const std::string& p : reads()) n += pred(p) ? 1 : 0;
    return n;
  }

 protected:
  void record(FsOp op, std::string path) const {
    std::lock_guard lock(mu_);
    calls_.push_back(FsCall{op, std::move(path)});
  }

 private:
  mutable std::mutex mu_;
  mutable std::vector<FsCall> calls_;
};

}  // namespace ceems::test_support
