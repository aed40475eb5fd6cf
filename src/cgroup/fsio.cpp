#include "cgroup/fsio.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ceems::cgroup::detail {
namespace {

bool is_real(const Filesystem& fs) { return &fs == &real_filesystem(); }

int errno_of(const Error& e) {
  switch (e.kind()) {
    case ErrorKind::kNotFound:
      return ENOENT;
    case ErrorKind::kPermissionDenied:
      return EACCES;
    default:
      return EIO;
  }
}

}  // namespace

int read_into(const Filesystem& fs, const std::string& path, std::string& buf) {
  buf.clear();
  if (!is_real(fs)) {
    auto r = fs.read_file(path, 4 << 20);
    if (!r) return errno_of(r.error());
    buf = std::move(*r);
    return 0;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  constexpr size_t kMax = 4 << 20;
  if (buf.capacity() < 4096) buf.reserve(4096);
  while (buf.size() < kMax) {
    size_t old = buf.size();
    size_t room = std::max<size_t>(buf.capacity() - old, 4096);
    buf.resize(old + room);
    ssize_t n = ::read(fd, buf.data() + old, room);
    if (n < 0) {
      if (errno == EINTR) {
        buf.resize(old);
        continue;
      }
      int err = errno;
      buf.resize(old);
      ::close(fd);
      return err;
    }
    buf.resize(old + static_cast<size_t>(n));
    if (n == 0) break;
  }
  ::close(fd);
  return 0;
}

int list_subdirs(const Filesystem& fs, const std::string& path, std::vector<std::string>& out) {
  out.clear();
  if (!is_real(fs)) {
    auto r = fs.list_dir(path);
    if (!r) return errno_of(r.error());
    for (auto& e : *r) {
      if (e.is_dir && !e.is_symlink) out.push_back(std::move(e.name));
    }
    return 0;  // list_dir sorts
  }
  // getdents64 straight into a stack buffer: opendir/fdopendir add an fstat and an
  // fcntl per directory, and a scrape lists tens of thousands of them.
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  alignas(8) char buf[16384];
  while (true) {
    long n = ::syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[].
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
      if (dir_entry) out.emplace_back(name);
    }
  }
  ::close(fd);
  std::sort(out.begin(), out.end());
  return 0;
}

bool path_exists(const Filesystem& fs, const std::string& path) {
  if (!is_real(fs)) return fs.exists(path);
  return ::access(path.c_str(), F_OK) == 0;
}

bool path_lexists(const Filesystem& fs, const std::string& path) {
  if (!is_real(fs)) return fs.exists(path);
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace ceems::cgroup::detail
