#include "perf/proc_text.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace ceems::perf {
namespace {

constexpr std::string_view kParanoidFile = "/proc/sys/kernel/perf_event_paranoid";

template <typename Fn>
void for_each_nul_entry(std::string_view raw, Fn&& fn) {
  while (!raw.empty()) {
    size_t end = raw.find('\0');
    std::string_view entry = raw.substr(0, end);
    if (!entry.empty()) fn(entry);
    if (end == std::string_view::npos) break;
    raw.remove_prefix(end + 1);
  }
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

Result<std::vector<int64_t>> parse_sysctl_ints(std::string_view content) {
  std::vector<int64_t> out;
  for (std::string_view f : fields(content)) {
    std::optional<int64_t> v = parse_i64(f);
    if (!v) return invalid("invalid integer " + quote_for_error(f));
    out.push_back(*v);
  }
  return out;
}

Status check_perf_event_paranoid(std::string_view content) {
  auto values = parse_sysctl_ints(content);
  if (!values.ok()) return values.error().wrap("error opening " + std::string(kParanoidFile) + " file");
  if (values->size() == 1 && values->front() > 2) {
    return Error(ErrorKind::kPermissionDenied,
                 "perf_event_open syscall is not possible with perf_event_paranoid=" +
                     std::to_string(values->front()) + ". Set it to value 2");
  }
  return Status::Ok();
}

std::string join_cmdline(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for_each_nul_entry(raw, [&](std::string_view arg) {
    if (!out.empty()) out.push_back(' ');
    out.append(arg);
  });
  return out;
}

bool is_slurm_helper(std::string_view cmd) {
  // slurmstepd:(.*) -- the group may be empty, so the literal alone decides.
  if (cmd.find("slurmstepd:") != std::string_view::npos) return true;
  // sleep ([0-9]+) -- one digit after the literal is enough for an unanchored search.
  constexpr std::string_view kSleep = "sleep ";
  for (size_t p = cmd.find(kSleep); p != std::string_view::npos; p = cmd.find(kSleep, p + 1)) {
    size_t d = p + kSleep.size();
    if (d < cmd.size() && is_digit(cmd[d])) return true;
  }
  // /bin/bash (.*)/slurm_script -- the gap must not contain a newline. The nearest
  // script literal after each bash literal is the best candidate: a newline before it
  // also lies before every later one.
  constexpr std::string_view kBash = "/bin/bash ";
  constexpr std::string_view kScript = "/slurm_script";
  for (size_t p = cmd.find(kBash); p != std::string_view::npos; p = cmd.find(kBash, p + 1)) {
    size_t from = p + kBash.size();
    size_t q = cmd.find(kScript, from);
    if (q == std::string_view::npos) break;
    std::string_view gap = cmd.substr(from, q - from);
    if (std::find(gap.begin(), gap.end(), '\n') == gap.end()) return true;
  }
  return false;
}

bool has_env_prefix(std::string_view environ, std::span<const std::string> names) {
  bool found = false;
  for_each_nul_entry(environ, [&](std::string_view entry) {
    if (found) return;
    found =
        std::any_of(names.begin(), names.end(), [&](const std::string& n) { return starts_with(entry, n); });
  });
  return found;
}

}  // namespace ceems::perf
