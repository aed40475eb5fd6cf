// The user to run as, looked up in /etc/passwd and /etc/group directly rather than
// through glibc's NSS: a statically linked binary cannot load NSS modules, and the
// run-as user is a local system account (nobody, a dedicated ceems user) anyway.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/filesystem.h"
#include "core/result.h"

namespace ceems {

inline constexpr std::string_view kPasswdFile = "/etc/passwd";
inline constexpr std::string_view kGroupFile = "/etc/group";

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
};

// The first entry of a passwd(5) text whose name is `name`, or whose uid is `uid`
// when name is empty. Comment ("#") and NIS ("+", "-") lines are skipped; a
// malformed line is an error naming source and line only when it is the one asked
// for (a broken line elsewhere does not hide the user).
Result<std::optional<PasswdEntry>> find_passwd_entry(std::string_view text, std::string_view source,
                                                     std::string_view name, std::optional<uid_t> uid = {});
// The same for group(5).
Result<std::optional<GroupEntry>> find_group_entry(std::string_view text, std::string_view source,
                                                   std::string_view name, std::optional<gid_t> gid = {});

struct RunAsUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home = "/";
};

// --security.run-as-user: "USER" or "USER:GROUP", each a name or a decimal id. A user
// name must be in /etc/passwd (its primary group unless GROUP is given); a numeric
// uid need not be (its group is then GROUP, else the passwd entry's, else the same
// number). Errors name the value and the file.
Result<RunAsUser> resolve_run_as_user(const Filesystem& fs, std::string_view spec,
                                      std::string_view passwd_file = kPasswdFile,
                                      std::string_view group_file = kGroupFile);

}  // namespace ceems
