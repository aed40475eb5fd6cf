#include "core/testing/overlay_filesystem.h"

#include <sys/stat.h>

#include <algorithm>

namespace ceems::test_support {
namespace {

std::string_view without_trailing_slash(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path;
}

}  // namespace

void OverlayFilesystem::set_file(const std::string& path, std::string content) {
  std::lock_guard lock(mu_);
  files_[path] = std::move(content);
}

void OverlayFilesystem::remove_file(const std::string& path) {
  std::lock_guard lock(mu_);
  files_.erase(path);
}

void OverlayFilesystem::fail(const std::string& path, int err) {
  fail_where([path](std::string_view p) { return p == path; }, err);
}

void OverlayFilesystem::fail_where(std::function<bool(std::string_view path)> pred, int err) {
  std::lock_guard lock(mu_);
  failures_.push_back(FailRule{std::move(pred), err});
}

void OverlayFilesystem::clear_failures() {
  std::lock_guard lock(mu_);
  failures_.clear();
}

void OverlayFilesystem::on_read(std::function<void(const std::string& path)> hook) {
  std::lock_guard lock(mu_);
  on_read_ = std::move(hook);
}

void OverlayFilesystem::set_fs_type(const std::string& path, uint64_t magic) {
  std::lock_guard lock(mu_);
  fs_types_[path] = magic;
}

int OverlayFilesystem::failure(std::string_view path) const {
  std::lock_guard lock(mu_);
  // The latest rule wins, as a later fail() on the same path means to.
  for (auto it = failures_.rbegin(); it != failures_.rend(); ++it) {
    if (it->matches(path)) return it->err;
  }
  return 0;
}

std::optional<Status> OverlayFilesystem::overlaid_read(const std::string& path, std::string& buf,
                                                       size_t max_bytes) const {
  std::function<void(const std::string&)> hook;
  {
    std::lock_guard lock(mu_);
    hook = on_read_;
  }
  if (hook) hook(path);
  if (int err = failure(path); err != 0) {
    buf.clear();
    return Status(Error::from_errno(err, "open " + path));
  }
  std::lock_guard lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  buf.assign(it->second, 0, std::min(max_bytes, it->second.size()));
  return Status::Ok();
}

std::vector<std::string> OverlayFilesystem::overlaid_names(std::string_view dir) const {
  dir = without_trailing_slash(dir);
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (const auto& [path, content] : files_) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 == path.size()) continue;
    std::string_view parent = std::string_view(path).substr(0, slash == 0 ? 1 : slash);
    if (parent == dir) out.push_back(path.substr(slash + 1));
  }
  return out;
}

Result<std::string> OverlayFilesystem::read_file(const std::string& path, size_t max_bytes) const {
  record(FsOp::kReadFile, path);
  std::string out;
  if (auto st = overlaid_read(path, out, max_bytes)) {
    if (!*st) return st->error();
    return out;
  }
  return disk_.read_file(path, max_bytes);
}

Status OverlayFilesystem::read_into(const std::string& path, std::string& buf, size_t max_bytes) const {
  record(FsOp::kReadInto, path);
  if (auto st = overlaid_read(path, buf, max_bytes)) return *st;
  return disk_.read_into(path, buf, max_bytes);
}

Status OverlayFilesystem::read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                                  size_t max_bytes) const {
  std::string path = dir.file(name);
  record(FsOp::kReadAt, path);
  if (auto st = overlaid_read(path, buf, max_bytes)) return *st;
  return disk_.read_at(dir, name, buf, max_bytes);
}

Result<std::vector<DirEntry>> OverlayFilesystem::list_dir(const std::string& path) const {
  record(FsOp::kListDir, path);
  if (int err = failure(path); err != 0) return Error::from_errno(err, "open directory " + path);
  auto entries = disk_.list_dir(path);
  if (!entries) return entries;
  bool added = false;
  for (std::string& name : overlaid_names(path)) {
    auto same = [&](const DirEntry& e) { return e.name == name; };
    if (std::none_of(entries->begin(), entries->end(), same)) {
      entries->push_back(DirEntry{.name = std::move(name)});
      added = true;
    }
  }
  if (added) {
    std::sort(entries->begin(), entries->end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  }
  return entries;
}

Status OverlayFilesystem::list_subdirs(const std::string& path, std::vector<std::string>& out) const {
  record(FsOp::kListSubdirs, path);
  if (int err = failure(path); err != 0) {
    out.clear();
    return Error::from_errno(err, "open directory " + path);
  }
  return disk_.list_subdirs(path, out);
}

Status OverlayFilesystem::list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const {
  record(FsOp::kListSubdirEntries, path);
  if (int err = failure(path); err != 0) {
    out.clear();
    return Error::from_errno(err, "open directory " + path);
  }
  return disk_.list_subdir_entries(path, out);
}

Result<FileInfo> OverlayFilesystem::stat(const std::string& path) const {
  record(FsOp::kStat, path);
  auto info = disk_.stat(path);
  if (info.ok()) return info;
  std::lock_guard lock(mu_);
  if (files_.contains(path)) return FileInfo{.mode = S_IFREG | 0644};
  return info;
}

bool OverlayFilesystem::lexists(const std::string& path) const {
  record(FsOp::kLexists, path);
  {
    std::lock_guard lock(mu_);
    if (files_.contains(path)) return true;
  }
  return disk_.lexists(path);
}

Result<std::string> OverlayFilesystem::read_link(const std::string& path) const {
  record(FsOp::kReadLink, path);
  return disk_.read_link(path);
}

Result<uint64_t> OverlayFilesystem::fs_type(const std::string& path) const {
  record(FsOp::kFsType, path);
  {
    std::lock_guard lock(mu_);
    if (auto it = fs_types_.find(path); it != fs_types_.end()) return it->second;
  }
  return disk_.fs_type(path);
}

DirHandle OverlayFilesystem::open_dir(std::string path) const {
  record(FsOp::kOpenDir, path);
  return disk_.open_dir(std::move(path));
}

DirHandle OverlayFilesystem::open_dir_at(const DirHandle& parent, std::string_view rel) const {
  record(FsOp::kOpenDirAt, parent.file(rel));
  return disk_.open_dir_at(parent, rel);
}

}  // namespace ceems::test_support
