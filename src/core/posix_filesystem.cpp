#include "core/posix_filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

namespace ceems {
namespace {

// Reads an open file to its end (or max_bytes) and closes it. path_of names the
// file in an error.
template <typename PathOf>
Status read_fd(int fd, std::string& buf, size_t max_bytes, PathOf&& path_of) {
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

// getdents64 straight into a stack buffer: opendir/fdopendir add an fstat and an
// fcntl per directory. Calls fn(name, inode) for each sub-directory (symlinks
// excluded); on an error the entries seen so far have been passed.
template <typename Fn>
Status each_subdir(const std::string& path, Fn&& fn) {
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

bool by_name(const DirEntry& a, const DirEntry& b) { return a.name < b.name; }

}  // namespace

Result<std::string> PosixFilesystem::read_file(const std::string& path, size_t max_bytes) const {
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

Result<std::vector<DirEntry>> PosixFilesystem::list_dir(const std::string& path) const {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), &::closedir);
  if (!dir) return Error::from_errno(errno, "open directory " + path);
  std::vector<DirEntry> out;
  while (struct dirent* e = ::readdir(dir.get())) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    DirEntry entry{std::string(name), false, false, static_cast<uint64_t>(e->d_ino)};
    unsigned char type = e->d_type;
    if (type == DT_UNKNOWN) {
      // Filesystems without d_type: ask, without following, what the entry is.
      struct stat st {};
      if (::fstatat(::dirfd(dir.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        type = S_ISLNK(st.st_mode) ? DT_LNK : S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
      }
    }
    if (type == DT_LNK) {
      entry.is_symlink = true;
      struct stat st {};
      entry.is_dir = ::fstatat(::dirfd(dir.get()), e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
    } else {
      entry.is_dir = type == DT_DIR;
    }
    out.push_back(std::move(entry));
  }
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

Result<FileInfo> PosixFilesystem::stat(const std::string& path) const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error::from_errno(errno, "stat " + path);
  return FileInfo{st.st_mode, st.st_uid, st.st_gid, static_cast<uint64_t>(st.st_ino), S_ISDIR(st.st_mode)};
}

Result<std::string> PosixFilesystem::read_link(const std::string& path) const {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return Error::from_errno(errno, "readlink " + path);
  return std::string(buf, static_cast<size_t>(n));
}

bool PosixFilesystem::lexists(const std::string& path) const {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Result<uint64_t> PosixFilesystem::fs_type(const std::string& path) const {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return Error::from_errno(errno, "statfs " + path);
  return static_cast<uint64_t>(st.f_type);
}

Status PosixFilesystem::read_into(const std::string& path, std::string& buf, size_t max_bytes) const {
  buf.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno(errno, "open " + path);
  return read_fd(fd, buf, max_bytes, [&] { return path; });
}

Status PosixFilesystem::list_subdirs(const std::string& path, std::vector<std::string>& out) const {
  out.clear();
  Status st = each_subdir(path, [&](const char* name, uint64_t) { out.emplace_back(name); });
  std::sort(out.begin(), out.end());
  return st;
}

Status PosixFilesystem::list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const {
  out.clear();
  Status st = each_subdir(path, [&](const char* name, uint64_t ino) {
    out.push_back(DirEntry{.name = name, .is_dir = true, .is_symlink = false, .inode = ino});
  });
  std::sort(out.begin(), out.end(), by_name);
  return st;
}

DirHandle PosixFilesystem::open_dir(std::string path) const {
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  return DirHandle(std::move(path), fd);
}

DirHandle PosixFilesystem::open_dir_at(const DirHandle& parent, std::string_view rel) const {
  std::string path = parent.file(rel);
  // openat would read "" as an error and "/x" as absolute where the joined path does not.
  if (parent.fd() < 0 || rel.empty() || rel.front() == '/') return open_dir(std::move(path));
  const std::string name(rel);
  int fd = ::openat(parent.fd(), name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  return DirHandle(std::move(path), fd);
}

Status PosixFilesystem::read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                                size_t max_bytes) const {
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

const Filesystem& real_filesystem() {
  static const PosixFilesystem fs;
  return fs;
}

}  // namespace ceems
