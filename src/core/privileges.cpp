#include "core/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <thread>

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
      if (!raised && ::geteuid() != 0) {
        logger_.error("Failed to raise capabilities", {{"context", context}, {"caps", caps_text(cur.get())}});
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

Status drop_privileges(const DropOptions& opts, const log::Logger& logger) {
  auto keep_values = capability_values(opts.keep_caps);
  if (!keep_values) return keep_values.error();
  std::vector<cap_value_t> keep(keep_values->begin(), keep_values->end());

  CapPtr cur = current_caps();
  if (!cur) return Error::from_errno(errno, "reading process capabilities");

  if (::geteuid() != 0) {
    CapPtr empty(cap_init(), &cap_free);
    if (empty && cap_compare(cur.get(), empty.get()) == 0) return Status::Ok();  // nothing to drop
    // Keep what we have of the wanted set; a missing capability only degrades the
    // collector that needs it (it logs permission errors) instead of failing start-up.
    std::vector<cap_value_t> kept;
    std::string missing;
    for (auto v : keep) {
      if (in_permitted(cur.get(), v)) {
        kept.push_back(v);
      } else {
        char* name = cap_to_name(v);
        missing += std::string(missing.empty() ? "" : ",") + (name != nullptr ? name : "?");
        cap_free(name);
      }
    }
    if (!missing.empty()) {
      logger.warn("Capabilities needed by enabled collectors are not permitted; those collectors will fail",
                  {{"missing", missing}});
    }
    return set_kept(kept);
  }

  // Started as root: switch user, keeping the permitted set across the uid change.
  errno = 0;
  struct passwd* pw = ::getpwnam(opts.user.c_str());
  if (pw == nullptr) return invalid("could not lookup user \"" + opts.user + "\" to run as");
  uid_t uid = pw->pw_uid;
  gid_t gid = pw->pw_gid;
  std::string home = pw->pw_dir != nullptr ? pw->pw_dir : "/";
  if (uid == 0) return invalid("run-as user \"" + opts.user + "\" is root; refusing to keep running as root");

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
  logger.info(
      "Dropped privileges",
      {{"user", opts.user}, {"uid", static_cast<long>(uid)}, {"kept_caps", caps_text(current_caps().get())}});
  return Status::Ok();
}

}  // namespace ceems
