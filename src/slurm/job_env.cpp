#include "slurm/job_env.h"

#include <cctype>

#include "core/strings.h"

namespace ceems::slurm {
namespace {

// The value as the reference reads it: the second field of a split on '=' (so a
// value holding '=' is cut there).
std::string_view env_value(std::string_view entry) {
  size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return {};
  std::string_view rest = entry.substr(eq + 1);
  return rest.substr(0, rest.find('='));
}

std::vector<std::string> split_ordinals(std::string_view value) {
  std::vector<std::string> out;
  for (auto part : split(value, ',')) out.emplace_back(part);
  return out;
}

// `.*` in the reference pattern does not cross a newline.
bool no_newline(std::string_view s) { return s.find('\n') == std::string_view::npos; }

}  // namespace

bool scan_environ(std::string_view environ, std::string_view job_id, GpuOrdinalScan& scan) {
  bool belongs = false;
  for_each_entry(environ, [&](std::string_view e) {
    if (!belongs && starts_with(e, "SLURM_JOB_ID=") && e.substr(13) == job_id) belongs = true;
  });
  if (!belongs) return false;
  for_each_entry(environ, [&](std::string_view e) {
    if (e.find("SLURM_STEP_GPUS") != std::string_view::npos) scan.step_gpus = split_ordinals(env_value(e));
    if (e.find("SLURM_JOB_GPUS") != std::string_view::npos) scan.job_gpus = split_ordinals(env_value(e));
  });
  return true;
}

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

}  // namespace ceems::slurm
