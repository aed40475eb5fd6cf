#include "core/privileges.h"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <thread>

#include "core/filesystem.h"
#include "core/user_db.h"

namespace ceems {
namespace {

using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)>;

CapPtr current_caps() { return {cap_get_proc(), &cap_free}; }

std::string caps_text(cap_t caps) {
  if (caps == nullptr) return "?";
  char* t = cap_to_text(caps, nullptr);
  std::string out = t != nullptr ? t : "?";
  cap_free(t);
  return out;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

std::string cap_name(cap_value_t v) {
  char* name = cap_to_name(v);
  std::string out = name != nullptr ? name : "?";
  cap_free(name);
  return out;
}

bool in_permitted(cap_t caps, cap_value_t v) {
  cap_flag_value_t f = CAP_CLEAR;
  return cap_get_flag(caps, v, CAP_PERMITTED, &f) == 0 && f == CAP_SET;
}

// Sets permitted = keep, effective = inheritable = empty on the calling thread (and,
// because this runs single-threaded at start-up, on the whole process).
Status set_kept(const std::vector<cap_value_t>& keep) {
  CapPtr caps(cap_init(), &cap_free);
  if (!caps) return Error::from_errno(errno, "cap_init");
  if (!keep.empty() &&
      cap_set_flag(caps.get(), CAP_PERMITTED, static_cast<int>(keep.size()), keep.data(), CAP_SET) != 0) {
    return Error::from_errno(errno, "cap_set_flag");
  }
  if (cap_set_proc(caps.get()) != 0) return Error::from_errno(errno, "setting process capabilities");
  // Ambient capabilities would leak into every child process (IPMI tools...).
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  return Status::Ok();
}

}  // namespace

Result<std::vector<int>> capability_values(const std::vector<std::string>& names) {
  std::vector<int> out;
  for (const auto& n : names) {
    cap_value_t v = 0;
    if (cap_from_name(n.c_str(), &v) != 0) return invalid("unknown capability name \"" + n + "\"");
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status CapabilityPrivileges::run_with(std::string_view context, const std::vector<std::string>& caps,
                                      const std::function<Status()>& fn) {
  if (caps.empty()) return fn();
  auto values = capability_values(caps);
  if (!values) return values.error();
  Status result;
  // A dedicated thread: capabilities are per thread, so no other thread ever holds
  // an effective capability, and this one dies right after.
  std::thread worker([&] {
    std::vector<cap_value_t> want(values->begin(), values->end());
    CapPtr cur = current_caps();
    bool raised = false;
    if (cur) {
      CapPtr next(cap_dup(cur.get()), &cap_free);
      std::vector<cap_value_t> usable;
      for (auto v : want) {
        if (in_permitted(cur.get(), v)) usable.push_back(v);
      }
      if (!usable.empty() && next &&
          cap_set_flag(next.get(), CAP_EFFECTIVE, static_cast<int>(usable.size()), usable.data(), CAP_SET) ==
              0 &&
          cap_set_proc(next.get()) == 0) {
        raised = usable.size() == want.size();
      }
      // The missing capabilities were named once at start-up (drop_privileges).
      if (!raised && ::geteuid() != 0) {
        logger_.debug("Failed to raise capabilities", {{"context", context}, {"caps", join_names(caps)}});
      }
    }
    logger_.debug("Executing in security context", {{"context", context}});
    result = fn();
    if (CapPtr after = current_caps()) {
      cap_clear_flag(after.get(), CAP_EFFECTIVE);
      if (cap_set_proc(after.get()) != 0) logger_.warn("Failed to drop capabilities", {{"context", context}});
    }
  });
  worker.join();
  return result;
}

namespace {

// Removes every capability but keep from the bounding set, so that nothing this
// process executes can ever hold more. Needs cap_setpcap in the effective set.
Status reduce_bounding_set(const std::vector<cap_value_t>& keep) {
  for (cap_value_t v = 0; v <= CAP_LAST_CAP; ++v) {
    if (std::find(keep.begin(), keep.end(), v) != keep.end()) continue;
    if (cap_get_bound(v) != 1) continue;
    if (cap_drop_bound(v) != 0)
      return Error::from_errno(errno, "dropping " + cap_name(v) + " from the bounding set");
  }
  return Status::Ok();
}

bool may_reduce_bounding_set(cap_t caps) {
  cap_flag_value_t f = CAP_CLEAR;
  return cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &f) == 0 && f == CAP_SET;
}

// Raises cap_setpcap (when permitted) for the bounding-set reduction of a process not
// started as root; reports whether it is now effective.
bool raise_setpcap(cap_t caps) {
  if (!in_permitted(caps, CAP_SETPCAP)) return false;
  CapPtr next(cap_dup(caps), &cap_free);
  cap_value_t v = CAP_SETPCAP;
  return next && cap_set_flag(next.get(), CAP_EFFECTIVE, 1, &v, CAP_SET) == 0 &&
         cap_set_proc(next.get()) == 0;
}

// After the drop: nothing executed from here on may gain privileges, unless a
// collector's tool must.
Status forbid_new_privileges(bool children_gain, const log::Logger& logger) {
  if (children_gain) {
    logger.info(
        "Bounding set left whole and NO_NEW_PRIVS not set: a collector runs a tool that needs root's "
        "capabilities or a set-user-ID program");
    return Status::Ok();
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::from_errno(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  return Status::Ok();
}

}  // namespace

Status confine_process(const std::vector<std::string>& keep, const log::Logger& logger) {
  auto values = capability_values(keep);
  if (!values) return values.error();
  CapPtr cur = current_caps();
  if (!cur) return Error::from_errno(errno, "reading process capabilities");
  if (may_reduce_bounding_set(cur.get())) {
    if (auto st = reduce_bounding_set(std::vector<cap_value_t>(values->begin(), values->end())); !st)
      return st;
  } else {
    logger.debug("Bounding set not reduced: cap_setpcap is not effective");
  }
  return forbid_new_privileges(false, logger);
}

Status drop_privileges(const DropOptions& opts, const log::Logger& logger) {
  std::vector<std::string> wanted;
  for (const auto& need : opts.needs) wanted.insert(wanted.end(), need.caps.begin(), need.caps.end());
  auto keep_values = capability_values(wanted);
  if (!keep_values) return keep_values.error();
  std::vector<cap_value_t> keep(keep_values->begin(), keep_values->end());
  const bool children_gain =
      opts.children_gain_privileges || std::find(keep.begin(), keep.end(), CAP_SETUID) != keep.end();

  CapPtr cur = current_caps();
  if (!cur) return Error::from_errno(errno, "reading process capabilities");

  if (::geteuid() != 0) {
    // Keep what we have of the wanted set; a missing capability only degrades the
    // collector that needs it (it reports failure on every scrape) instead of failing
    // start-up. Named once here, so that scrapes need not repeat it.
    std::vector<cap_value_t> kept;
    for (auto v : keep) {
      if (in_permitted(cur.get(), v)) kept.push_back(v);
    }
    for (const auto& need : opts.needs) {
      std::string missing;
      for (const auto& name : need.caps) {
        cap_value_t v = 0;
        if (cap_from_name(name.c_str(), &v) == 0 && !in_permitted(cur.get(), v)) {
          missing += (missing.empty() ? "" : ",") + name;
        }
      }
      if (!missing.empty()) {
        logger.warn(
            "Capabilities needed by a collector are not permitted to this process; it will fail to read "
            "what they guard (run as root, or grant them, e.g. with the systemd unit's AmbientCapabilities)",
            {{"collector", need.who}, {"missing", missing}});
      }
    }
    if (!children_gain) {
      if (raise_setpcap(cur.get())) {
        if (auto st = reduce_bounding_set(kept); !st) return st;
      } else {
        logger.debug("Bounding set not reduced: cap_setpcap is not permitted");
      }
    }
    if (auto st = set_kept(kept); !st) return st;
    return forbid_new_privileges(children_gain, logger);
  }

  // Started as root: switch user, keeping the permitted set across the uid change.
  auto user = resolve_run_as_user(real_filesystem(), opts.user);
  if (!user) return user.error().wrap("could not lookup user \"" + opts.user + "\" to run as");
  const uid_t uid = user->uid;
  const gid_t gid = user->gid;
  const std::string home = user->home;
  if (uid == 0) return invalid("run-as user \"" + opts.user + "\" is root; refusing to keep running as root");

  // The bounding set needs cap_setpcap, which only root still has here.
  if (!children_gain && may_reduce_bounding_set(cur.get())) {
    if (auto st = reduce_bounding_set(keep); !st) return st;
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::from_errno(errno, "prctl(PR_SET_KEEPCAPS)");
  // Root's supplementary groups must not follow us.
  if (::setgroups(0, nullptr) != 0) return Error::from_errno(errno, "clearing supplementary groups");
  if (::setresgid(gid, gid, gid) != 0) return Error::from_errno(errno, "setresgid to " + std::to_string(gid));
  if (::setresuid(uid, uid, uid) != 0) return Error::from_errno(errno, "setresuid to " + std::to_string(uid));
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  ::setenv("HOME", home.c_str(), 1);

  for (const auto& p : opts.read_paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      return invalid("could not reach path " + p + " after changing user to " + opts.user);
    }
  }
  if (auto s = set_kept(keep); !s) return s;
  if (auto s = forbid_new_privileges(children_gain, logger); !s) return s;
  logger.info(
      "Dropped privileges",
      {{"user", opts.user}, {"uid", static_cast<long>(uid)}, {"kept_caps", caps_text(current_caps().get())}});
  return Status::Ok();
}

}  // namespace ceems
