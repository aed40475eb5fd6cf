#include "rdma/rdma_parsers.h"

#include <charconv>

#include "core/go/text.h"
#include "core/strings.h"

namespace ceems::rdma {
namespace {

// RE2's \s: the reference's patterns are Go regular expressions.
bool is_re_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }
bool is_lower_alnum_underscore(char c) { return (c >= 'a' && c <= 'z') || is_ascii_digit(c) || c == '_'; }

template <typename Pred>
std::string_view take_while(std::string_view s, size_t pos, Pred pred) {
  size_t end = pos;
  while (end < s.size() && pred(s[end])) ++end;
  return s.substr(pos, end - pos);
}

size_t skip_space(std::string_view s, size_t pos) {
  while (pos < s.size() && is_re_space(s[pos])) ++pos;
  return pos;
}

// ^<keyword>\s*([class]+): the capture, or empty when the line does not match.
template <typename Pred>
std::string_view leading_field(std::string_view line, std::string_view keyword, Pred in_class) {
  if (!starts_with(line, keyword)) return {};
  return take_while(line, skip_space(line, keyword.size()), in_class);
}

std::string_view link_of(std::string_view line) {
  return leading_field(line, "link", [](char c) { return is_lower_alnum_underscore(c) || c == '/'; });
}

std::string_view device_of(std::string_view line) {
  return leading_field(line, "dev", is_lower_alnum_underscore);
}

// <name>\s*([class]+) at the first position >= min_pos where it matches. With
// min_pos = 1 this is the reference's lazy `.+?<name>\s*(...)`.
template <typename Pred>
std::string_view field_after(std::string_view line, std::string_view name, size_t min_pos, Pred in_class) {
  for (size_t at = line.find(name, min_pos); at != std::string_view::npos; at = line.find(name, at + 1)) {
    std::string_view value = take_while(line, skip_space(line, at + name.size()), in_class);
    if (!value.empty()) return value;
  }
  return {};
}

std::string_view number_after(std::string_view line, std::string_view name) {
  return field_after(line, name, 1, is_ascii_digit);
}

std::optional<uint64_t> to_u64(std::string_view digits) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

std::vector<ResourceLine> parse_resource_lines(std::string_view output, std::string_view length_field) {
  std::vector<ResourceLine> out;
  go::for_each_line(output, [&](std::string_view line) {
    std::string_view device = device_of(line);
    if (device.empty()) return;
    std::string_view pid = number_after(line, "pid");
    if (pid.empty()) return;
    auto length = to_u64(number_after(line, length_field));
    if (!length) return;
    out.push_back({std::string(device), std::string(pid), *length});
  });
  return out;
}

}  // namespace

std::map<std::string, bool> parse_qp_mode(std::string_view output) {
  std::map<std::string, bool> modes;
  go::for_each_line(output, [&](std::string_view line) {
    std::string_view link = link_of(line);
    if (!starts_with(link, "mlx")) return;
    std::string_view mode =
        field_after(line, "auto", 0, [](char c) { return (c >= 'a' && c <= 'z') || c == ','; });
    if (mode.empty()) return;
    modes[std::string(link)] = mode != "off";
  });
  return modes;
}

std::vector<ResourceLine> parse_mr_lines(std::string_view output) {
  return parse_resource_lines(output, "mrlen");
}

std::vector<ResourceLine> parse_cq_lines(std::string_view output) {
  return parse_resource_lines(output, "cqe");
}

std::vector<QpLine> parse_qp_lines(std::string_view output) {
  std::vector<QpLine> out;
  go::for_each_line(output, [&](std::string_view line) {
    std::string_view link = link_of(line);
    if (link.empty()) return;
    std::string_view pid = number_after(line, "pid");
    if (pid.empty()) return;
    out.push_back({std::string(link), std::string(pid)});
  });
  return out;
}

std::vector<QpStatsLine> parse_qp_stats_lines(std::string_view output) {
  std::vector<QpStatsLine> out;
  go::for_each_line(output, [&](std::string_view line) {
    std::string_view link = link_of(line);
    if (link.empty()) return;
    std::string_view pid = number_after(line, "pid");
    if (pid.empty()) return;
    QpStatsLine parsed{std::string(link), std::string(pid), {}};
    for (std::string_view name : kHwCounters) {
      if (auto v = to_u64(number_after(line, name))) parsed.counters.emplace(name, *v);
    }
    out.push_back(std::move(parsed));
  });
  return out;
}

std::optional<LinkName> split_link(std::string_view link) {
  size_t slash = link.find('/');
  if (slash == std::string_view::npos || link.find('/', slash + 1) != std::string_view::npos)
    return std::nullopt;
  return LinkName{std::string(link.substr(0, slash)), std::string(link.substr(slash + 1))};
}

std::optional<uint64_t> parse_port_state(std::string_view state_file) {
  std::string_view s = trim(state_file);
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || s.find(':', colon + 1) != std::string_view::npos)
    return std::nullopt;
  std::string_view id = trim(s.substr(0, colon));
  if (id.empty() || take_while(id, 0, is_ascii_digit).size() != id.size()) return std::nullopt;
  auto v = to_u64(id);
  if (!v || *v > UINT32_MAX) return std::nullopt;
  return v;
}

std::map<std::string, ResourceTotals> aggregate_resources(const std::vector<ResourceLine>& lines,
                                                          const PidUnits& units) {
  std::map<std::string, ResourceTotals> totals;
  for (const ResourceLine& line : lines) {
    auto unit = units.find(line.pid);
    if (unit == units.end()) continue;
    auto [it, inserted] = totals.try_emplace(unit->second);
    if (inserted) it->second.device = line.device;
    it->second.count += 1;
    it->second.length += line.length;
  }
  return totals;
}

std::map<std::string, QpTotals> aggregate_qps(const std::vector<QpLine>& qps,
                                              const std::vector<QpStatsLine>& stats, const PidUnits& units) {
  std::map<std::string, QpTotals> totals;
  // The entry of a unit takes device and port from its first well-formed link.
  auto entry_for = [&](const std::string& uuid, std::string_view link) -> QpTotals* {
    if (auto it = totals.find(uuid); it != totals.end()) return &it->second;
    auto name = split_link(link);
    if (!name) return nullptr;
    QpTotals& t = totals[uuid];
    t.device = std::move(name->device);
    t.port = std::move(name->port);
    return &t;
  };
  for (const QpLine& line : qps) {
    auto unit = units.find(line.pid);
    if (unit == units.end()) continue;
    if (QpTotals* t = entry_for(unit->second, line.link)) t->count += 1;
  }
  for (const QpStatsLine& line : stats) {
    auto unit = units.find(line.pid);
    if (unit == units.end() || line.counters.empty()) continue;
    QpTotals* t = entry_for(unit->second, line.link);
    if (t == nullptr) continue;
    for (const auto& [name, value] : line.counters) t->counters[name] = value;
  }
  return totals;
}

}  // namespace ceems::rdma
