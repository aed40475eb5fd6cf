#include "power/cray_pm_counters.h"

#include <charconv>
#include <initializer_list>
#include <optional>
#include <unordered_set>
#include <utility>

#include "core/strings.h"

namespace ceems {
namespace {

// The four families, in the order of kFiles.
const std::vector<MetricDesc>& metric_descs() {
  static const std::vector<MetricDesc> descs = {
      {"ceems_cray_pm_counters_energy_joules",
       "Current energy value in joules",
       MetricType::kGauge,
       {"hostname", "domain"}},
      {"ceems_cray_pm_counters_power_watts",
       "Current power value in watts",
       MetricType::kGauge,
       {"hostname", "domain"}},
      {"ceems_cray_pm_counters_power_limit_watts",
       "Current power limit value in watts",
       MetricType::kGauge,
       {"hostname", "domain"}},
      {"ceems_cray_pm_counters_temp_celsius",
       "Current temperature value in celsius",
       MetricType::kGauge,
       {"hostname", "domain"}},
  };
  return descs;
}
// File suffixes, one per metric family.
constexpr std::string_view kFiles[] = {"energy", "power", "power_cap", "temp"};

size_t match_word(std::string_view s, size_t at, std::initializer_list<std::string_view> words) {
  if (at > s.size()) return 0;
  for (std::string_view w : words) {
    if (s.substr(at, w.size()) == w) return w.size();
  }
  return 0;
}

struct Match {
  size_t end;
  std::string_view domain;  // empty: group 1 did not participate
};

// The pattern anchored at `start`. Every choice the backtracking engine could make is
// forced: units start with c/m/a, the keyword with e/p/t and the separator is '_', so
// digits and underscores must be taken greedily and the loop stops at the first keyword.
// The lazy tails (`_*?(cap)*?`) take nothing, so a match ends right after its keyword.
std::optional<Match> match_at(std::string_view name, size_t start) {
  std::string_view domain;
  size_t p = start;
  while (true) {
    size_t q = p;
    while (q < name.size() && name[q] == '_') ++q;
    if (size_t k = match_word(name, q, {"energy", "power", "temp"}); k > 0) return Match{q + k, domain};
    size_t u = match_word(name, p, {"cpu", "memory", "accel"});
    if (u == 0) return std::nullopt;
    size_t e = p + u;
    while (e < name.size() && is_ascii_digit(name[e])) ++e;
    domain = name.substr(p, e - p);  // a repeated group reports its last iteration
    p = e;
  }
}

}  // namespace

std::vector<std::string> pm_counter_domains_in_name(std::string_view file_name) {
  // Quadratic in the worst case, which is fine for file names (at most 255 bytes).
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < file_name.size()) {
    std::optional<Match> m;
    for (size_t s = pos; s < file_name.size() && !m; ++s) m = match_at(file_name, s);
    if (!m) break;
    out.emplace_back(m->domain);
    pos = m->end;
  }
  return out;
}

std::vector<PmCounterDomain> discover_pm_counter_domains(std::span<const std::string> file_names) {
  std::vector<PmCounterDomain> domains;
  std::unordered_set<std::string> seen;
  for (const std::string& file : file_names) {
    for (std::string& d : pm_counter_domains_in_name(file)) {
      PmCounterDomain domain = d.empty() ? PmCounterDomain{"node", ""} : PmCounterDomain{d, d + "_"};
      if (seen.insert(domain.name).second) domains.push_back(std::move(domain));
    }
  }
  return domains;
}

Result<uint64_t> parse_pm_counter_value(std::string_view content) {
  std::string_view text = trim(content);
  std::string_view number = text.substr(0, text.find(' '));
  if (number.empty()) return invalid("empty pm_counters value " + quote_for_error(content));
  for (char c : number) {
    if (!is_ascii_digit(c)) return invalid("invalid pm_counters value " + quote_for_error(number));
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || p != number.data() + number.size()) {
    return invalid("pm_counters value out of range " + quote_for_error(number));
  }
  return v;
}

CrayPmCountersCollector::CrayPmCountersCollector(const HostFs& host, std::string hostname, log::Logger logger)
    : host_(host), hostname_(std::move(hostname)), logger_(std::move(logger)) {}

Status CrayPmCountersCollector::update(MetricBatch& out) {
  const std::string dir = host_.sys("cray/pm_counters");
  auto entries = host_.fs().list_dir(dir);
  if (!entries) {
    switch (entries.error().kind()) {
      case ErrorKind::kNotFound:
        logger_.debug("Platform doesn't have cray/pm_counters files present", {{"err", entries.error()}});
        return no_data("no cray/pm_counters files: " + entries.error().message());
      case ErrorKind::kPermissionDenied:
        logger_.debug("Can't access /sys/cray/pm_counters files", {{"err", entries.error()}});
        return no_data("cray/pm_counters files not accessible: " + entries.error().message());
      default:
        return entries.error().wrap(
            "failed to fetch /sys/cray/pm_counters stats: unable to read /sys/cray/pm_counters");
    }
  }
  std::vector<std::string> names;
  names.reserve(entries->size());
  for (DirEntry& e : *entries) names.push_back(std::move(e.name));

  for (const PmCounterDomain& domain : discover_pm_counter_domains(names)) {
    for (size_t i = 0; i < std::size(kFiles); ++i) {
      const std::string path = HostFs::join(dir, domain.file_prefix + std::string(kFiles[i]));
      auto text = host_.fs().read_file(path, 4096);
      if (!text) continue;  // most domains lack some of the four files
      auto value = parse_pm_counter_value(*text);
      if (!value) {
        logger_.debug("Skipping unparsable pm_counters file", {{"file", path}, {"err", value.error()}});
        continue;
      }
      // 0 means "not available" (e.g. no power cap), so it is never exported.
      if (*value > 0) out.add(metric_descs()[i], {hostname_, domain.name}, static_cast<double>(*value));
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Collector>> make_cray_pm_counters_collector(const CollectorContext& ctx) {
  if (Status root = ctx.host.check_sysfs_root(); !root) return root.error();
  return std::unique_ptr<Collector>(
      std::make_unique<CrayPmCountersCollector>(ctx.host, ctx.hostname, ctx.logger));
}

}  // namespace ceems
