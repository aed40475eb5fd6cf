#include "core/go/filepath.h"

#include <deque>
#include <vector>

#include "core/strings.h"

namespace ceems::go {

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  for (std::string_view part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out.append(parts[i]);
  }
  if (out.empty()) out = ".";
  return out;
}

Result<std::string> eval_symlinks(const Filesystem& fs, std::string_view path) {
  constexpr int kMaxLinks = 255;
  // Components still to walk; a link's target is pushed in front of the rest.
  std::deque<std::string> todo;
  for (std::string_view part : split(path, '/')) todo.emplace_back(part);
  const bool rooted = !path.empty() && path.front() == '/';
  // The resolved prefix, as components; a relative path may start with "..".
  std::vector<std::string> done;
  bool done_rooted = rooted;
  int links = 0;
  auto prefix = [&] {
    std::string out = done_rooted ? "/" : "";
    for (size_t i = 0; i < done.size(); ++i) {
      if (i > 0) out += '/';
      out += done[i];
    }
    return out.empty() ? std::string(".") : out;
  };
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      // The prefix is free of links, so ".." is lexical from here on.
      if (!done.empty() && done.back() != "..") {
        done.pop_back();
      } else if (!done_rooted) {
        done.push_back(part);
      }
      continue;
    }
    done.push_back(part);
    const std::string current = prefix();
    if (!fs.lexists(current))
      return Error(ErrorKind::kNotFound, "lstat " + current + ": no such file or directory");
    auto target = fs.read_link(current);
    if (!target) continue;  // not a link
    if (++links > kMaxLinks) return invalid("EvalSymlinks: too many links in " + std::string(path));
    done.pop_back();
    std::vector<std::string> parts;
    for (std::string_view p : split(*target, '/')) parts.emplace_back(p);
    todo.insert(todo.begin(), parts.begin(), parts.end());
    if (!target->empty() && target->front() == '/') {
      done.clear();
      done_rooted = true;
    }
  }
  return clean_path(prefix());
}

}  // namespace ceems::go
