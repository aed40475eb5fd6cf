#include "core/filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
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
    DirEntry entry{std::string(name), false, false, static_cast<uint64_t>(e->d_ino)};
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

namespace {

// The process-wide real filesystem: the hot-path variants use the system calls
// directly with the caller's buffers.
class RealFilesystem final : public Filesystem {
 public:
  Status read_into(const std::string& path, std::string& buf, size_t max_bytes) const override {
    buf.clear();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::from_errno(errno, "open " + path);
    return read_fd(fd, buf, max_bytes, [&] { return path; });
  }

  DirHandle open_dir(std::string path) const override {
    int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    return DirHandle(std::move(path), fd);
  }

  Status read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                 size_t max_bytes) const override {
    if (dir.fd() < 0) return read_into(dir.file(name), buf, max_bytes);
    buf.clear();
    char cname[256];
    if (name.size() >= sizeof cname) return read_into(dir.file(name), buf, max_bytes);
    std::memcpy(cname, name.data(), name.size());
    cname[name.size()] = '\0';
    int fd = ::openat(dir.fd(), cname, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error::from_errno(errno, "open " + dir.file(name));
    return read_fd(fd, buf, max_bytes, [&] { return dir.file(name); });
  }

 private:
  // Reads an open file to its end (or max_bytes) and closes it. path_of names the
  // file in an error.
  template <typename PathOf>
  static Status read_fd(int fd, std::string& buf, size_t max_bytes, PathOf&& path_of) {
    // Most files are small: read into the stack first, so that the string is not
    // zero-filled ahead of every read(2).
    char first[4096];
    size_t want = std::min(sizeof first, max_bytes);
    ssize_t n = 0;
    do {
      n = ::read(fd, first, want);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Error::from_errno(err, "read " + path_of());
    }
    buf.assign(first, static_cast<size_t>(n));
    // A short read of a small file is its end: regular files, seq_files and
    // sysfs/kernfs attributes return all they have up to the size asked, and
    // the /proc files that hand out a page per read return a full page. This
    // saves the second read(2) of every cgroup file a scrape reads.
    if (n == 0 || static_cast<size_t>(n) < want) {
      ::close(fd);
      return Status::Ok();
    }
    while (buf.size() < max_bytes) {
      size_t old = buf.size();
      size_t room = std::min(std::max<size_t>(buf.capacity() - old, 4096), max_bytes - old);
      buf.resize(old + room);
      n = ::read(fd, buf.data() + old, room);
      if (n < 0) {
        if (errno == EINTR) {
          buf.resize(old);
          continue;
        }
        int err = errno;
        buf.resize(old);
        ::close(fd);
        return Error::from_errno(err, "read " + path_of());
      }
      buf.resize(old + static_cast<size_t>(n));
      if (n == 0) break;
    }
    ::close(fd);
    return Status::Ok();
  }

 public:
  Status list_subdirs(const std::string& path, std::vector<std::string>& out) const override {
    out.clear();
    Status st = each_subdir(path, [&](const char* name, uint64_t) { out.emplace_back(name); });
    std::sort(out.begin(), out.end());
    return st;
  }

  Status list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const override {
    out.clear();
    Status st = each_subdir(path, [&](const char* name, uint64_t ino) {
      out.push_back(DirEntry{.name = name, .is_dir = true, .is_symlink = false, .inode = ino});
    });
    std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    return st;
  }

 private:
  // getdents64 straight into a stack buffer: opendir/fdopendir add an fstat and an
  // fcntl per directory. Calls fn(name, inode) for each sub-directory (symlinks
  // excluded); on an error the entries seen so far have been passed.
  template <typename Fn>
  static Status each_subdir(const std::string& path, Fn&& fn) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error::from_errno(errno, "open directory " + path);
    alignas(8) char buf[16384];
    while (true) {
      long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return Error::from_errno(err, "read directory " + path);
      }
      if (n == 0) break;
      for (long off = 0; off < n;) {
        // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[].
        uint64_t ino = 0;
        std::memcpy(&ino, buf + off, sizeof ino);
        uint16_t reclen = 0;
        std::memcpy(&reclen, buf + off + 16, sizeof reclen);
        const auto type = static_cast<unsigned char>(buf[off + 18]);
        const char* name = buf + off + 19;
        if (reclen == 0) break;
        off += reclen;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        bool dir_entry = type == DT_DIR;
        if (type == DT_UNKNOWN) {
          struct stat st {};
          dir_entry = ::fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        if (dir_entry) fn(name, ino);
      }
    }
    ::close(fd);
    return Status::Ok();
  }
};

}  // namespace

bool Filesystem::lexists(const std::string& path) const {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Status Filesystem::read_into(const std::string& path, std::string& buf, size_t max_bytes) const {
  auto r = read_file(path, max_bytes);
  if (!r) return r.error();
  buf = std::move(*r);
  return Status::Ok();
}

Status Filesystem::list_subdirs(const std::string& path, std::vector<std::string>& out) const {
  out.clear();
  auto r = list_dir(path);
  if (!r) return r.error();
  for (auto& e : *r) {
    if (e.is_dir && !e.is_symlink) out.push_back(std::move(e.name));
  }
  return Status::Ok();  // list_dir sorts
}

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

DirHandle Filesystem::open_dir(std::string path) const { return DirHandle(std::move(path), -1); }

DirHandle Filesystem::open_dir_at(const DirHandle& parent, std::string_view rel) const {
  return open_dir(parent.file(rel));
}

Status Filesystem::read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                           size_t max_bytes) const {
  return read_into(dir.file(name), buf, max_bytes);
}

Status Filesystem::list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const {
  out.clear();
  auto r = list_dir(path);
  if (!r) return r.error();
  for (auto& e : *r) {
    if (e.is_dir && !e.is_symlink) out.push_back(std::move(e));
  }
  return Status::Ok();  // list_dir sorts
}

const Filesystem& real_filesystem() {
  static const RealFilesystem fs;
  return fs;
}

}  // namespace ceems
