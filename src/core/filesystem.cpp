#include "core/filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace ceems {

Result<std::string> Filesystem::read_file(const std::string& path, size_t max_bytes) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "open " + path);
  std::string out;
  char buf[8192];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Error::from_errno(err, "read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<std::vector<DirEntry>> Filesystem::list_dir(const std::string& path) const {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), &::closedir);
  if (!dir) return Error::from_errno(errno, "open directory " + path);
  std::vector<DirEntry> out;
  errno = 0;
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    DirEntry entry{std::string(name), false, false};
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN || type == DT_LNK) {
      struct stat st {};
      std::string full = HostFs::join(path, name);
      if (type == DT_LNK) entry.is_symlink = true;
      if (::stat(full.c_str(), &st) == 0) entry.is_dir = S_ISDIR(st.st_mode);
    } else {
      entry.is_dir = type == DT_DIR;
    }
    out.push_back(std::move(entry));
  }
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

Result<FileInfo> Filesystem::stat(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno(errno, "stat " + path);
  return FileInfo{st.st_mode, st.st_uid, st.st_gid, static_cast<uint64_t>(st.st_ino), S_ISDIR(st.st_mode)};
}

Result<std::string> Filesystem::read_link(const std::string& path) const {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return Error::from_errno(errno, "readlink " + path);
  return std::string(buf, static_cast<size_t>(n));
}

bool Filesystem::is_dir(const std::string& path) const {
  auto st = stat(path);
  return st.ok() && st->is_dir;
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

const Filesystem& real_filesystem() {
  static const Filesystem fs;
  return fs;
}

}  // namespace ceems
