#include "power/hwmon_chips.h"

#include <charconv>
#include <map>
#include <set>
#include <utility>

#include "core/go/filepath.h"
#include "core/go/runes.h"
#include "core/go/strconv.h"
#include "core/go/text.h"
#include "core/strings.h"

namespace ceems {
namespace {

struct Property {
  std::string_view type;
  std::string_view property;
  HwmonReading reading;
};
constexpr Property kProperties[] = {
    {"power", "input", HwmonReading::kPowerCurrent},     {"power", "input_lowest", HwmonReading::kPowerMin},
    {"power", "input_highest", HwmonReading::kPowerMax}, {"power", "average", HwmonReading::kPowerAverage},
    {"power", "cap", HwmonReading::kPowerCap},           {"energy", "input", HwmonReading::kEnergy},
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr size_t kMaxLabelBytes = 256;

std::string read_label(const Filesystem& fs, const std::string& dir, const std::string& prefix) {
  for (std::string_view suffix : {"_label", "_oem_info"}) {
    auto text = fs.read_file(HostFs::join(dir, prefix + std::string(suffix)), kMaxLabelBytes);
    if (!text) continue;
    std::string label = hwmon_sensor_label_text(*text);
    if (!label.empty()) return label;
  }
  return "";
}

struct Candidate {
  HwmonSensorFile file;
  std::string path;
  std::string label;  // "" when the chip names none
};

void collect_candidates(const Filesystem& fs, const std::string& dir, std::vector<Candidate>& out) {
  auto entries = fs.list_dir(dir);
  if (!entries) return;
  for (const DirEntry& e : *entries) {
    if (e.is_dir) continue;
    auto parsed = parse_hwmon_sensor_file_name(e.name);
    if (!parsed) continue;
    std::string label = read_label(fs, dir, parsed->prefix);
    out.push_back({std::move(*parsed), HostFs::join(dir, e.name), std::move(label)});
  }
}

std::string fallback_sensor_name(const HwmonSensorFile& f) { return f.type + std::to_string(f.number); }

// The `chip` label by the original's preferences: the device's path, then the
// `name` file, then the directory's own name.
std::string chip_label(const Filesystem& fs, const std::string& dir, std::string_view chip_name) {
  if (auto device = go::eval_symlinks(fs, HostFs::join(dir, "device"))) {
    std::string label = hwmon_chip_label_from_device(*device);
    if (!label.empty()) return label;
  }
  if (!chip_name.empty()) return std::string(chip_name);
  auto real = go::eval_symlinks(fs, dir);
  const std::string path = real ? *real : go::clean_path(dir);
  return clean_hwmon_name(path.substr(path.rfind('/') + 1));
}

}  // namespace

std::optional<HwmonSensorFile> parse_hwmon_sensor_file_name(std::string_view name) {
  size_t digits_start = 0;
  while (digits_start < name.size() && !is_digit(name[digits_start])) ++digits_start;
  size_t digits_end = digits_start;
  while (digits_end < name.size() && is_digit(name[digits_end])) ++digits_end;
  // Go's pattern takes the whole non-digit run as the type, so a file without an
  // index ("power_input") has type "power_input" and is not a sensor.
  if (digits_start == digits_end || digits_end >= name.size() || name[digits_end] != '_') return std::nullopt;
  const std::string_view type = name.substr(0, digits_start);
  const std::string_view property = name.substr(digits_end + 1);
  int64_t number = 0;
  const char* first = name.data() + digits_start;
  const char* last = name.data() + digits_end;
  auto [end, ec] = std::from_chars(first, last, number);
  if (ec != std::errc() || end != last) return std::nullopt;  // out of range
  for (const Property& p : kProperties) {
    if (p.type == type && p.property == property) {
      return HwmonSensorFile{p.reading, std::string(name.substr(0, digits_end)), std::string(type), number};
    }
  }
  return std::nullopt;
}

std::string clean_hwmon_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    const char c = name[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool keep = (lower >= 'a' && lower <= 'z') || is_digit(lower) || lower == ':' || lower == '_';
    out.push_back(keep ? lower : '_');
    // Go replaces per rune: a multi-byte character is one '_', a malformed byte one.
    const size_t len = go::rune_length(name, i);
    i += len == 0 ? 1 : len;
  }
  const size_t first = out.find_first_not_of('_');
  if (first == std::string::npos) return "";
  const size_t last = out.find_last_not_of('_');
  return out.substr(first, last - first + 1);
}

std::string hwmon_chip_label_from_device(std::string_view resolved) {
  std::string path = go::clean_path(resolved);
  const size_t slash = path.rfind('/');
  const std::string_view dev_name =
      slash == std::string::npos ? std::string_view(path) : std::string_view(path).substr(slash + 1);
  std::string_view parent =
      slash == std::string::npos ? std::string_view() : std::string_view(path).substr(0, slash);
  const size_t parent_slash = parent.rfind('/');
  if (parent_slash != std::string_view::npos) parent = parent.substr(parent_slash + 1);
  std::string name = clean_hwmon_name(dev_name);
  const std::string type = clean_hwmon_name(parent);
  if (!type.empty() && !name.empty()) return type + "_" + name;
  return name;
}

Result<double> parse_hwmon_value(std::string_view content) {
  while (!content.empty() && content.front() == '\n') content.remove_prefix(1);
  while (!content.empty() && content.back() == '\n') content.remove_suffix(1);
  auto v = go::parse_float(content);
  if (!v) return invalid("invalid hwmon sensor value " + quote_for_error(content));
  return *v;
}

std::string hwmon_sensor_label_text(std::string_view content) {
  return go::replace_malformed_bytes(go::trim_space(content));
}

Result<std::vector<HwmonChip>> discover_hwmon_chips(const HostFs& host) {
  const Filesystem& fs = host.fs();
  const std::string root = host.sys("class/hwmon");
  auto entries = fs.list_dir(root);
  if (!entries) return entries.error().wrap("unable to read class/hwmon");
  std::vector<HwmonChip> chips;
  std::set<std::string> chip_labels;
  for (const DirEntry& entry : *entries) {
    if (!entry.is_dir) continue;
    const std::string dir = HostFs::join(root, entry.name);
    std::vector<Candidate> candidates;
    collect_candidates(fs, dir, candidates);
    if (fs.is_dir(HostFs::join(dir, "device")))
      collect_candidates(fs, HostFs::join(dir, "device"), candidates);
    if (candidates.empty()) continue;

    HwmonChip chip;
    if (auto name = fs.read_file(HostFs::join(dir, "name"), kMaxLabelBytes))
      chip.chip_name = clean_hwmon_name(*name);
    chip.chip = chip_label(fs, dir, chip.chip_name);
    // Two chips of one label would be one series twice, which a scrape must never
    // serve; the later one is told apart by its directory name.
    if (!chip_labels.insert(chip.chip).second) {
      chip.chip += "_" + clean_hwmon_name(entry.name);
      chip_labels.insert(chip.chip);
    }

    // How many different sensors of one family claim each label.
    std::map<std::pair<HwmonReading, std::string>, std::set<int64_t>> claims;
    for (const Candidate& c : candidates) {
      if (!c.label.empty()) claims[{c.file.reading, c.label}].insert(c.file.number);
    }
    std::set<std::pair<HwmonReading, std::string>> taken;
    for (Candidate& c : candidates) {
      std::string sensor = c.label;
      if (sensor.empty() || claims[{c.file.reading, c.label}].size() > 1)
        sensor = fallback_sensor_name(c.file);
      // The same file in the chip and its device directory: keep the first.
      if (!taken.insert({c.file.reading, sensor}).second) continue;
      chip.sensors.push_back({c.file.reading, std::move(sensor), std::move(c.path)});
    }
    chips.push_back(std::move(chip));
  }
  return chips;
}

}  // namespace ceems
