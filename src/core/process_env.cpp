#include "core/process_env.h"

#include <cctype>

#include "core/strings.h"

namespace ceems {
namespace {

// `.*` in the reference pattern does not cross a newline.
bool no_newline(std::string_view s) { return s.find('\n') == std::string_view::npos; }

}  // namespace

std::string join_cmdline(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for_each_entry(raw, [&](std::string_view arg) {
    if (!out.empty()) out.push_back(' ');
    out.append(arg);
  });
  return out;
}

bool is_slurm_helper(std::string_view cmd) {
  if (cmd.find("slurmstepd:") != std::string_view::npos) return true;
  for (size_t p = cmd.find("sleep "); p != std::string_view::npos; p = cmd.find("sleep ", p + 1)) {
    if (p + 6 < cmd.size() && std::isdigit(static_cast<unsigned char>(cmd[p + 6])) != 0) return true;
  }
  constexpr std::string_view kBash = "/bin/bash ";
  constexpr std::string_view kScript = "/slurm_script";
  for (size_t p = cmd.find(kBash); p != std::string_view::npos; p = cmd.find(kBash, p + 1)) {
    size_t from = p + kBash.size();
    for (size_t q = cmd.find(kScript, from); q != std::string_view::npos; q = cmd.find(kScript, q + 1)) {
      if (no_newline(cmd.substr(from, q - from))) return true;
    }
  }
  return false;
}

bool has_env_prefix(std::string_view environ, std::span<const std::string> names) {
  bool found = false;
  for_each_entry(environ, [&](std::string_view e) {
    for (const auto& n : names) {
      if (!found && starts_with(e, n)) found = true;
    }
  });
  return found;
}

}  // namespace ceems
