#include "slurm/slurm_layout.h"

#include "core/strings.h"

namespace ceems::slurm {
namespace {

// "/job_" followed by at least one digit at position j.
bool job_at(std::string_view p, size_t j) {
  return p.compare(j, 5, "/job_") == 0 && j + 5 < p.size() && is_ascii_digit(p[j + 5]);
}

bool v1_root(std::string_view n) { return n == "slurm" || starts_with(n, "slurm_"); }
bool v2_root(std::string_view n) { return n == "slurmstepd.scope" || ends_with(n, "_slurmstepd.scope"); }
bool uid_dir(std::string_view n) { return starts_with(n, "uid_"); }
// slurmstepd keeps its own processes in <scope>/system on v2.
bool v2_expected(std::string_view n) { return n == "system"; }
bool v1_expected(std::string_view) { return false; }

}  // namespace

units::Layout slurm_layout(cgroup::Mode mode) {
  units::Layout l;
  l.name = "slurm";
  if (cgroup::is_v2(mode)) {
    l.roots = {
        {"system.slice", &v2_root, {"system.slice/slurmstepd.scope", "system.slice/*_slurmstepd.scope"}}};
    l.expected_other = &v2_expected;
  } else {
    // Multi-slurmd builds (Debian's) use slurm_<node>.
    l.roots = {{"", &v1_root, {"slurm", "slurm_*"}}};
    l.descend = &uid_dir;
    l.expected_other = &v1_expected;
  }
  l.unit_id = &match_slurm_job;
  l.is_child = &is_slurm_child;
  l.warn_unexpected = true;
  return l;
}

std::optional<std::string_view> match_slurm_job(std::string_view p) {
  // '.' does not match '\n' and the pattern spans the whole string.
  if (p.find('\n') != std::string_view::npos) return std::nullopt;
  // The greedy ^.* takes the last "/slurm" that still has a "/job_<digit>" at or
  // after its end; the lazy gap then takes the first such "/job_".
  size_t last_job = std::string_view::npos;
  for (size_t j = p.rfind("/job_"); j != std::string_view::npos;
       j = j == 0 ? std::string_view::npos : p.rfind("/job_", j - 1)) {
    if (job_at(p, j)) {
      last_job = j;
      break;
    }
  }
  if (last_job == std::string_view::npos) return std::nullopt;
  auto first_job_from = [&](size_t from) -> std::optional<std::string_view> {
    for (size_t j = p.find("/job_", from); j != std::string_view::npos; j = p.find("/job_", j + 1)) {
      if (job_at(p, j)) {
        size_t start = j + 5, end = start;
        while (end < p.size() && is_ascii_digit(p[end])) ++end;
        return p.substr(start, end - start);
      }
    }
    return std::nullopt;  // unreachable: last_job qualifies
  };
  constexpr std::string_view kSlurm = "/slurm";
  if (last_job >= kSlurm.size()) {
    size_t s = p.rfind(kSlurm, last_job - kSlurm.size());
    if (s != std::string_view::npos) return first_job_from(s + kSlurm.size());
  }
  // Multi-slurmd scopes (<node>_slurmstepd.scope) have no "/slurm": only when the
  // spec's expression does not match, ^.*_slurmstepd\.scope(?:.*?)/job_([0-9]+).
  constexpr std::string_view kScope = "_slurmstepd.scope";
  if (last_job >= kScope.size()) {
    size_t s = p.rfind(kScope, last_job - kScope.size());
    if (s != std::string_view::npos) return first_job_from(s + kScope.size());
  }
  return std::nullopt;
}

bool is_slurm_child(std::string_view raw_path) { return raw_path.find("/step_") != std::string_view::npos; }

}  // namespace ceems::slurm
