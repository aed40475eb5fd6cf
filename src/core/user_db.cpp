#include "core/user_db.h"

#include <charconv>
#include <limits>
#include <vector>

#include "core/go/text.h"
#include "core/strings.h"

namespace ceems {
namespace {

// Largest passwd or group file read: far beyond any local account list.
constexpr size_t kMaxDatabaseBytes = 16 << 20;

std::optional<uint32_t> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!is_ascii_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  // (uid_t)-1 means "no change" to the set*id calls: never a user.
  if (v >= std::numeric_limits<uint32_t>::max()) return std::nullopt;
  return static_cast<uint32_t>(v);
}

bool skipped(std::string_view line) {
  return line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-';
}

Error malformed(std::string_view source, size_t line_no, std::string_view why, std::string_view line) {
  return invalid(std::string(source) + ":" + std::to_string(line_no) + ": " + std::string(why) + " in " +
                 quote_for_error(line));
}

// Calls fn(fields, line_no, line) for every entry line; fn returns true to stop.
template <typename Fn>
void for_each_entry(std::string_view text, Fn fn) {
  size_t line_no = 0;
  go::for_each_line(text, [&](std::string_view line) {
    ++line_no;
    if (skipped(line)) return true;
    return !fn(split(line, ':'), line_no, line);
  });
}

}  // namespace

Result<std::optional<PasswdEntry>> find_passwd_entry(std::string_view text, std::string_view source,
                                                     std::string_view name, std::optional<uid_t> uid) {
  std::optional<PasswdEntry> found;
  std::optional<Error> error;
  for_each_entry(text, [&](const std::vector<std::string_view>& f, size_t line_no, std::string_view line) {
    const bool wanted = !name.empty() ? f[0] == name : uid && f.size() > 2 && parse_id(f[2]) == *uid;
    if (!wanted) return false;
    if (f.size() != 7) {
      error = malformed(source, line_no, "expected 7 fields", line);
      return true;
    }
    auto u = parse_id(f[2]);
    auto g = parse_id(f[3]);
    if (!u || !g) {
      error = malformed(source, line_no, "invalid uid or gid", line);
      return true;
    }
    found = PasswdEntry{std::string(f[0]), *u, *g, f[5].empty() ? std::string("/") : std::string(f[5])};
    return true;
  });
  if (error) return *error;
  return found;
}

Result<std::optional<GroupEntry>> find_group_entry(std::string_view text, std::string_view source,
                                                   std::string_view name, std::optional<gid_t> gid) {
  std::optional<GroupEntry> found;
  std::optional<Error> error;
  for_each_entry(text, [&](const std::vector<std::string_view>& f, size_t line_no, std::string_view line) {
    const bool wanted = !name.empty() ? f[0] == name : gid && f.size() > 2 && parse_id(f[2]) == *gid;
    if (!wanted) return false;
    if (f.size() != 4) {
      error = malformed(source, line_no, "expected 4 fields", line);
      return true;
    }
    auto g = parse_id(f[2]);
    if (!g) {
      error = malformed(source, line_no, "invalid gid", line);
      return true;
    }
    found = GroupEntry{std::string(f[0]), *g};
    return true;
  });
  if (error) return *error;
  return found;
}

Result<RunAsUser> resolve_run_as_user(const Filesystem& fs, std::string_view spec,
                                      std::string_view passwd_file, std::string_view group_file) {
  const size_t colon = spec.find(':');
  const std::string_view user = spec.substr(0, colon);
  const std::optional<std::string_view> group =
      colon == std::string_view::npos ? std::nullopt : std::optional(spec.substr(colon + 1));
  const std::string what = "run-as user " + quote_for_error(spec);
  if (user.empty() || (group && group->empty())) return invalid(what + ": expected USER or USER:GROUP");

  const std::optional<uint32_t> numeric_uid = parse_id(user);
  auto passwd = fs.read_file(std::string(passwd_file), kMaxDatabaseBytes);
  if (!passwd && !numeric_uid) return passwd.error().wrap(what + ": could not read the user database");
  std::optional<PasswdEntry> entry;
  if (passwd) {
    auto found = numeric_uid ? find_passwd_entry(*passwd, passwd_file, "", numeric_uid)
                             : find_passwd_entry(*passwd, passwd_file, user);
    if (!found) return found.error().wrap(what);
    entry = std::move(*found);
  }
  if (!entry && !numeric_uid) return invalid(what + ": no such user in " + std::string(passwd_file));

  RunAsUser out;
  out.uid = numeric_uid ? *numeric_uid : entry->uid;
  out.gid = entry ? entry->gid : out.uid;
  out.home = entry ? entry->home : "/";
  if (group) {
    if (auto gid = parse_id(*group)) {
      out.gid = *gid;
    } else {
      auto groups = fs.read_file(std::string(group_file), kMaxDatabaseBytes);
      if (!groups) return groups.error().wrap(what + ": could not read the group database");
      auto found = find_group_entry(*groups, group_file, *group);
      if (!found) return found.error().wrap(what);
      if (!*found) return invalid(what + ": no such group in " + std::string(group_file));
      out.gid = (*found)->gid;
    }
  }
  return out;
}

}  // namespace ceems
