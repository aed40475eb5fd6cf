#include "perf/proc_text.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace ceems::perf {
namespace {

constexpr std::string_view kParanoidFile = "/proc/sys/kernel/perf_event_paranoid";

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

}  // namespace ceems::perf
