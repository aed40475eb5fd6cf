// A Privileges double: records every privileged call (context and capabilities),
// runs the function in place, and refuses one context when a test asks it to.
// Thread-safe: sub-collectors call it from scrape threads.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/privileges.h"

namespace ceems::test_support {

class RecordingPrivileges final : public Privileges {
 public:
  Status run_with(std::string_view context, const std::vector<std::string>& caps,
                  const std::function<Status()>& fn) override {
    {
      std::lock_guard lock(mu_);
      calls_.emplace_back(std::string(context), caps);
      if (context == fail_context_) return Error(ErrorKind::kPermissionDenied, "refused");
      ++depth_;
    }
    Status st = fn();
    std::lock_guard lock(mu_);
    --depth_;
    return st;
  }

  // run_with(context) fails with kPermissionDenied from now on, without calling fn.
  void refuse(std::string context) {
    std::lock_guard lock(mu_);
    fail_context_ = std::move(context);
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> contexts() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& call : calls_) out.push_back(call.first);
    return out;
  }
  std::vector<std::string> last_caps() const {
    std::lock_guard lock(mu_);
    return calls_.empty() ? std::vector<std::string>{} : calls_.back().second;
  }
  void clear() {
    std::lock_guard lock(mu_);
    calls_.clear();
  }
  // > 0 while a privileged function runs.
  int depth() const {
    std::lock_guard lock(mu_);
    return depth_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, std::vector<std::string>>> calls_;
  std::string fail_context_;
  int depth_ = 0;
};

}  // namespace ceems::test_support
