#include "core/filesystem.h"

#include <unistd.h>

#include "core/strings.h"

namespace ceems {

DirHandle::~DirHandle() {
  if (fd_ >= 0) ::close(fd_);
}

DirHandle& DirHandle::operator=(DirHandle&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

std::string DirHandle::file(std::string_view name) const {
  std::string out;
  out.reserve(path_.size() + 1 + name.size());
  out.append(path_).append("/").append(name);
  return out;
}

HostFs::HostFs(std::string procfs, std::string sysfs, std::string cgroupfs, const Filesystem* fs)
    : procfs_(std::move(procfs)),
      sysfs_(std::move(sysfs)),
      cgroupfs_(std::move(cgroupfs)),
      fs_(fs != nullptr ? fs : &real_filesystem()) {}

std::string HostFs::join(std::string_view a, std::string_view b) {
  while (!b.empty() && b.front() == '/') b.remove_prefix(1);
  std::string out(a);
  if (b.empty()) return out;
  if (out.empty()) return std::string(b);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

Status HostFs::check_sysfs_root() const {
  auto root = fs_->stat(sysfs_);
  if (!root) return root.error().wrap("failed to open sysfs");
  if (!root->is_dir) {
    return invalid("failed to open sysfs: mount point " + quote_for_error(sysfs_) + " is not a directory");
  }
  return Status::Ok();
}

}  // namespace ceems
