#include "node/meminfo.h"

#include <unordered_map>

#include "core/strings.h"

namespace ceems {
namespace {

constexpr std::string_view kAllStatsFlag = "collector.meminfo.all-stats";
constexpr std::string_view kDeprecatedAllStatsFlag = "collector.meminfo.all.stats";
constexpr std::string_view kAllStatsHelp = "Enable collecting all meminfo stats (default: disabled).";

// Without --collector.meminfo.all-stats only these are exported, 0 when the kernel lacks them.
constexpr std::string_view kDefaultKeys[] = {"MemTotal_bytes", "MemFree_bytes", "MemAvailable_bytes"};

// "Active(anon)" -> "Active_anon": the text from the first '(' to the last ')' becomes
// '_' + what is between them (the original's greedy `\((.*)\)` replacement).
std::string rewrite_key(std::string_view key) {
  size_t open = key.find('(');
  size_t close = key.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return std::string(key);
  }
  std::string out(key.substr(0, open));
  out += '_';
  out.append(key.substr(open + 1, close - open - 1));
  out.append(key.substr(close + 1));
  return out;
}

void emit(MetricBatch& out, const std::string& key, double value, const std::string& hostname) {
  MetricDesc desc{"ceems_meminfo_" + key,
                  "Memory information field " + key + ".",
                  ends_with(key, "_total") ? MetricType::kCounter : MetricType::kGauge,
                  {"hostname"}};
  out.add(desc, {hostname}, value);
}

}  // namespace

Result<std::vector<std::pair<std::string, double>>> parse_meminfo(std::string_view text) {
  std::vector<std::pair<std::string, double>> out;
  std::unordered_map<std::string, size_t> position;
  for (std::string_view line : split(text, '\n')) {
    auto parts = fields(line);
    if (parts.empty()) continue;  // some kernels print stray blank lines
    if (parts.size() < 2) return invalid("invalid line in meminfo: " + quote_for_error(line));
    auto value = parse_double(parts[1]);
    if (!value) {
      return invalid("invalid value in meminfo: " + quote_for_error(parts[1]) + " in line " +
                     quote_for_error(line));
    }
    std::string key = rewrite_key(parts[0].substr(0, parts[0].size() - 1));  // drop the ':'
    if (parts.size() == 3) {                                                 // a unit, always kB
      *value *= 1024;
      key += "_bytes";
    } else if (parts.size() != 2) {
      return invalid("invalid line in meminfo: " + quote_for_error(line));
    }
    auto [it, inserted] = position.emplace(key, out.size());
    if (inserted) {
      out.emplace_back(std::move(key), *value);
    } else {
      out[it->second].second = *value;
    }
  }
  return out;
}

MeminfoCollector::MeminfoCollector(const HostFs& host, std::string hostname, bool all_stats,
                                   log::Logger logger)
    : host_(host), hostname_(std::move(hostname)), all_stats_(all_stats), logger_(std::move(logger)) {}

Status MeminfoCollector::update(MetricBatch& out) {
  const std::string path = host_.proc("meminfo");
  auto text = host_.fs().read_file(path);
  if (!text) return text.error().wrap("couldn't get meminfo");
  auto info = parse_meminfo(*text);
  if (!info) return info.error().wrap("couldn't get meminfo: " + path);

  if (all_stats_) {
    for (const auto& [key, value] : *info) emit(out, key, value, hostname_);
    return Status::Ok();
  }
  for (std::string_view wanted : kDefaultKeys) {
    double value = 0;
    for (const auto& [key, v] : *info) {
      if (key == wanted) value = v;
    }
    emit(out, std::string(wanted), value, hostname_);
  }
  return Status::Ok();
}

void register_meminfo_flags(FlagSet& flags) {
  flags.add_bool(std::string(kAllStatsFlag), std::string(kAllStatsHelp), false);
  FlagSpec alias;
  alias.name = std::string(kDeprecatedAllStatsFlag);
  alias.kind = FlagKind::kBool;
  alias.help = std::string(kAllStatsHelp);
  alias.defaults = {"false"};
  alias.hidden = true;
  alias.alias_of = std::string(kAllStatsFlag);
  flags.add(std::move(alias));
}

Result<std::unique_ptr<Collector>> make_meminfo_collector(const CollectorContext& ctx) {
  if (ctx.flags.explicitly_set(kDeprecatedAllStatsFlag)) {
    ctx.logger.warn(
        "flag --collector.meminfo.all.stats has been deprecated. Use --collector.meminfo.all-stats instead");
  }
  // The flag set ORs the alias into the real flag.
  bool all_stats = ctx.flags.get_bool(kAllStatsFlag);
  return std::unique_ptr<Collector>(
      std::make_unique<MeminfoCollector>(ctx.host, ctx.hostname, all_stats, ctx.logger));
}

}  // namespace ceems
