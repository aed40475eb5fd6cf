// Shared helpers for unit tests of collectors: render a batch as exposition text,
// capture log lines, build scratch file trees. Header-only; tests include it
// directly. The test doubles for the host are beside it: fake_filesystem.h,
// overlay_filesystem.h, fake_runner.h.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/exposition.h"
#include "core/log.h"
#include "core/metrics.h"

namespace ceems::test_support {

// The batch as /metrics would print it.
inline std::string render(const MetricBatch& batch) {
  std::string out;
  const MetricBatch* batches[] = {&batch};
  write_text(batches, out);
  return out;
}

// Redirects log output into a temporary file for the lifetime of the object.
class LogCapture {
 public:
  explicit LogCapture(log::Level level = log::Level::kInfo) : file_(std::tmpfile()) {
    log::configure(level, log::Format::kLogfmt);
    log::reset_repeats();
    log::set_output_fd(fileno(file_));
  }
  ~LogCapture() {
    log::set_output_fd(2);
    log::configure(log::Level::kInfo, log::Format::kLogfmt);
    std::fclose(file_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string text() const {
    std::string out;
    std::fflush(file_);
    std::rewind(file_);
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  std::FILE* file_;
};

// A scratch directory tree, removed with the object.
class TempTree {
 public:
  explicit TempTree(const std::string& prefix = "ceems_test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + ".XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    root_ = tmpl;
  }
  ~TempTree() { std::filesystem::remove_all(root_); }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& root() const { return root_; }
  std::string path(const std::string& rel) const { return (std::filesystem::path(root_) / rel).string(); }
  void write(const std::string& rel, const std::string& content, mode_t mode = 0644) const {
    std::filesystem::path p = std::filesystem::path(root_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
    ::chmod(p.c_str(), mode);
  }
  void mkdir(const std::string& rel) const {
    std::filesystem::create_directories(std::filesystem::path(root_) / rel);
  }

 private:
  std::string root_;
};

}  // namespace ceems::test_support
