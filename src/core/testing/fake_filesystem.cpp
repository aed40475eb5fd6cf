#include "core/testing/fake_filesystem.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <stdexcept>

namespace ceems::test_support {
namespace {

// The kernel's limit on symlinks followed in one lookup.
constexpr int kMaxLinks = 40;

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (!part.empty() && part != ".") out.emplace_back(part);
    pos = end + 1;
  }
  return out;
}

}  // namespace

struct FakeFilesystem::Node {
  enum class Kind { kFile, kDir, kSymlink };
  Kind kind = Kind::kDir;
  std::string data;  // a file's content, a symlink's target
  mode_t mode = 0755;
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t inode = 0;
  int fail = 0;  // errno for opening it
  std::optional<uint64_t> fs_type;
  std::map<std::string, std::unique_ptr<Node>> children;

  bool is_dir() const { return kind == Kind::kDir; }
};

struct FakeFilesystem::Walk {
  Node* node = nullptr;  // null when the lookup failed with err
  int err = 0;
  uint64_t fs_type = kDefaultFsType;
};

FakeFilesystem::FakeFilesystem() : root_(std::make_unique<Node>()) { root_->inode = 1; }
FakeFilesystem::~FakeFilesystem() = default;

FakeFilesystem::Walk FakeFilesystem::resolve(std::string_view path, bool follow_last) const {
  if (path.empty()) return Walk{.err = ENOENT};
  // A trailing slash asks for a directory, through a final symlink.
  const bool want_dir = path.size() > 1 && path.back() == '/';
  if (want_dir) follow_last = true;
  std::vector<Node*> stack{root_.get()};
  std::deque<std::string> pending;
  for (std::string& part : split(path)) pending.push_back(std::move(part));
  int links = 0;
  while (!pending.empty()) {
    std::string name = std::move(pending.front());
    pending.pop_front();
    Node* cur = stack.back();
    if (!cur->is_dir()) return Walk{.err = ENOTDIR};
    if (name == "..") {
      if (stack.size() > 1) stack.pop_back();
      continue;
    }
    auto it = cur->children.find(name);
    if (it == cur->children.end()) return Walk{.err = ENOENT};
    Node* child = it->second.get();
    if (child->kind == Node::Kind::kSymlink && (follow_last || !pending.empty())) {
      if (++links > kMaxLinks) return Walk{.err = ELOOP};
      if (child->data.empty()) return Walk{.err = ENOENT};
      if (child->data.front() == '/') stack.resize(1);
      std::vector<std::string> target = split(child->data);
      pending.insert(pending.begin(), target.begin(), target.end());
      continue;
    }
    stack.push_back(child);
  }
  if (want_dir && !stack.back()->is_dir()) return Walk{.err = ENOTDIR};
  Walk w{.node = stack.back()};
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if ((*it)->fs_type) {
      w.fs_type = *(*it)->fs_type;
      break;
    }
  }
  return w;
}

FakeFilesystem::Node* FakeFilesystem::make_parents(const std::string& path, std::string& last) {
  std::vector<std::string> parts = split(path);
  if (parts.empty()) throw std::invalid_argument("FakeFilesystem: no name in \"" + path + "\"");
  if (std::find(parts.begin(), parts.end(), "..") != parts.end()) {
    throw std::invalid_argument("FakeFilesystem: \"..\" in \"" + path + "\"");
  }
  last = std::move(parts.back());
  parts.pop_back();
  Node* cur = root_.get();
  for (const std::string& part : parts) {
    auto& slot = cur->children[part];
    if (!slot) {
      slot = std::make_unique<Node>();
      slot->inode = next_inode_++;
    }
    if (!slot->is_dir())
      throw std::invalid_argument("FakeFilesystem: \"" + part + "\" in \"" + path + "\" is no directory");
    cur = slot.get();
  }
  return cur;
}

FakeFilesystem::Node& FakeFilesystem::put(const std::string& path, std::unique_ptr<Node> node) {
  std::string last;
  Node* parent = make_parents(path, last);
  node->inode = next_inode_++;
  auto& slot = parent->children[last];
  slot = std::move(node);
  return *slot;
}

void FakeFilesystem::add_file(const std::string& path, std::string content, mode_t mode) {
  std::lock_guard lock(mu_);
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kFile;
  node->data = std::move(content);
  node->mode = mode;
  put(path, std::move(node));
}

void FakeFilesystem::add_dir(const std::string& path, mode_t mode) {
  std::lock_guard lock(mu_);
  if (split(path).empty()) {
    root_->mode = mode;
    return;
  }
  // As mkdir -p: what is already in the directory stays.
  Walk w = resolve(path, true);
  if (w.node != nullptr && w.node->is_dir()) {
    w.node->mode = mode;
    return;
  }
  auto node = std::make_unique<Node>();
  node->mode = mode;
  put(path, std::move(node));
}

void FakeFilesystem::add_symlink(const std::string& path, std::string target) {
  std::lock_guard lock(mu_);
  auto node = std::make_unique<Node>();
  node->kind = Node::Kind::kSymlink;
  node->data = std::move(target);
  node->mode = 0777;
  put(path, std::move(node));
}

void FakeFilesystem::remove(const std::string& path) {
  std::lock_guard lock(mu_);
  std::vector<std::string> parts = split(path);
  if (parts.empty()) throw std::invalid_argument("FakeFilesystem: cannot remove \"" + path + "\"");
  std::string parent = "/";
  for (size_t i = 0; i + 1 < parts.size(); ++i) parent.append(parts[i]).append("/");
  Walk w = resolve(parent, true);
  if (w.node != nullptr) w.node->children.erase(parts.back());
}

FakeFilesystem::Node& FakeFilesystem::existing(const std::string& path) const {
  Walk w = resolve(path, true);
  if (w.node == nullptr) throw std::invalid_argument("FakeFilesystem: no \"" + path + "\"");
  return *w.node;
}

void FakeFilesystem::set_owner(const std::string& path, uid_t uid, gid_t gid) {
  std::lock_guard lock(mu_);
  Node& n = existing(path);
  n.uid = uid;
  n.gid = gid;
}

void FakeFilesystem::set_fs_type(const std::string& path, uint64_t magic) {
  std::lock_guard lock(mu_);
  existing(path).fs_type = magic;
}

void FakeFilesystem::fail(const std::string& path, int err) {
  std::lock_guard lock(mu_);
  existing(path).fail = err;
}

Status FakeFilesystem::read_locked(const std::string& path, std::string& buf, size_t max_bytes) const {
  buf.clear();
  Walk w = resolve(path, true);
  if (w.node == nullptr) return Error::from_errno(w.err, "open " + path);
  if (w.node->fail != 0) return Error::from_errno(w.node->fail, "open " + path);
  // open(2) takes a directory; read(2) refuses it.
  if (w.node->is_dir()) return Error::from_errno(EISDIR, "read " + path);
  buf.assign(w.node->data, 0, std::min(max_bytes, w.node->data.size()));
  return Status::Ok();
}

Status FakeFilesystem::list_locked(const std::string& path, bool subdirs_only,
                                   std::vector<DirEntry>& out) const {
  out.clear();
  Walk w = resolve(path, true);
  if (w.node == nullptr) return Error::from_errno(w.err, "open directory " + path);
  // open(2) refuses O_DIRECTORY on a file before it checks permissions.
  if (!w.node->is_dir()) return Error::from_errno(ENOTDIR, "open directory " + path);
  if (w.node->fail != 0) return Error::from_errno(w.node->fail, "open directory " + path);
  for (const auto& [name, child] : w.node->children) {
    DirEntry e{.name = name, .is_dir = child->is_dir(), .is_symlink = false, .inode = child->inode};
    if (subdirs_only && !e.is_dir) continue;
    if (child->kind == Node::Kind::kSymlink) {
      e.is_symlink = true;
      Walk target = resolve(path + "/" + name, true);
      e.is_dir = target.node != nullptr && target.node->is_dir();
    }
    out.push_back(std::move(e));
  }
  return Status::Ok();  // the map keeps names sorted
}

Result<std::string> FakeFilesystem::read_file(const std::string& path, size_t max_bytes) const {
  record(FsOp::kReadFile, path);
  std::lock_guard lock(mu_);
  std::string out;
  if (Status st = read_locked(path, out, max_bytes); !st) return st.error();
  return out;
}

Status FakeFilesystem::read_into(const std::string& path, std::string& buf, size_t max_bytes) const {
  record(FsOp::kReadInto, path);
  std::lock_guard lock(mu_);
  return read_locked(path, buf, max_bytes);
}

Status FakeFilesystem::read_at(const DirHandle& dir, std::string_view name, std::string& buf,
                               size_t max_bytes) const {
  std::string path = dir.file(name);
  record(FsOp::kReadAt, path);
  std::lock_guard lock(mu_);
  return read_locked(path, buf, max_bytes);
}

Result<std::vector<DirEntry>> FakeFilesystem::list_dir(const std::string& path) const {
  record(FsOp::kListDir, path);
  std::lock_guard lock(mu_);
  std::vector<DirEntry> out;
  if (Status st = list_locked(path, false, out); !st) return st.error();
  return out;
}

Status FakeFilesystem::list_subdirs(const std::string& path, std::vector<std::string>& out) const {
  record(FsOp::kListSubdirs, path);
  std::lock_guard lock(mu_);
  out.clear();
  std::vector<DirEntry> entries;
  Status st = list_locked(path, true, entries);
  for (DirEntry& e : entries) out.push_back(std::move(e.name));
  return st;
}

Status FakeFilesystem::list_subdir_entries(const std::string& path, std::vector<DirEntry>& out) const {
  record(FsOp::kListSubdirEntries, path);
  std::lock_guard lock(mu_);
  return list_locked(path, true, out);
}

Result<FileInfo> FakeFilesystem::stat(const std::string& path) const {
  record(FsOp::kStat, path);
  std::lock_guard lock(mu_);
  Walk w = resolve(path, true);
  if (w.node == nullptr) return Error::from_errno(w.err, "stat " + path);
  const Node& n = *w.node;
  const mode_t type = n.is_dir() ? S_IFDIR : S_IFREG;
  return FileInfo{type | (n.mode & 07777), n.uid, n.gid, n.inode, n.is_dir()};
}

bool FakeFilesystem::lexists(const std::string& path) const {
  record(FsOp::kLexists, path);
  std::lock_guard lock(mu_);
  return resolve(path, false).node != nullptr;
}

Result<std::string> FakeFilesystem::read_link(const std::string& path) const {
  record(FsOp::kReadLink, path);
  std::lock_guard lock(mu_);
  Walk w = resolve(path, false);
  if (w.node == nullptr) return Error::from_errno(w.err, "readlink " + path);
  if (w.node->kind != Node::Kind::kSymlink) return Error::from_errno(EINVAL, "readlink " + path);
  return w.node->data;
}

Result<uint64_t> FakeFilesystem::fs_type(const std::string& path) const {
  record(FsOp::kFsType, path);
  std::lock_guard lock(mu_);
  Walk w = resolve(path, true);
  if (w.node == nullptr) return Error::from_errno(w.err, "statfs " + path);
  return w.fs_type;
}

DirHandle FakeFilesystem::open_dir(std::string path) const {
  record(FsOp::kOpenDir, path);
  return DirHandle(std::move(path), -1);
}

DirHandle FakeFilesystem::open_dir_at(const DirHandle& parent, std::string_view rel) const {
  std::string path = parent.file(rel);
  record(FsOp::kOpenDirAt, path);
  return DirHandle(std::move(path), -1);
}

}  // namespace ceems::test_support
