// Decoding of `nvidia-smi vgpu --query` (a text report) and the merge of its mdev
// UUIDs into the inventory, for the libvirt collector.
//
// The report is one section per physical GPU: a header line `GPU <address>`, then
// an indented record per active vGPU holding `MDEV UUID : <uuid>` and
// `GPU Instance ID : <id or N/A>`. The line rules of spec 13 are matched by hand.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

// The reference's `\s` in RE2 syntax; lines never hold '\n'.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\r'; }

bool is_address_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
}

bool is_uuid_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// The address of a header line, which must be exactly `GPU [a-fA-F0-9.:]+`: such a
// line is always one of the text's `GPU ([a-fA-F0-9.:]+)` matches (a match cannot
// cross a newline), and a line with anything else after the address is not.
std::optional<std::string_view> header_address(std::string_view line) {
  constexpr std::string_view kPrefix = "GPU ";
  if (!starts_with(line, kPrefix)) return std::nullopt;
  std::string_view addr = line.substr(kPrefix.size());
  if (addr.empty() || !std::all_of(addr.begin(), addr.end(), is_address_char)) return std::nullopt;
  return addr;
}

// `^\s+<label>\s+: ` followed by the value; returns the text after that prefix.
std::optional<std::string_view> labelled_value(std::string_view line, std::string_view label) {
  size_t pos = 0;
  while (pos < line.size() && is_space(line[pos])) ++pos;
  if (pos == 0) return std::nullopt;
  line.remove_prefix(pos);
  if (!starts_with(line, label)) return std::nullopt;
  line.remove_prefix(label.size());
  pos = 0;
  while (pos < line.size() && is_space(line[pos])) ++pos;
  if (pos == 0) return std::nullopt;
  line.remove_prefix(pos);
  if (!starts_with(line, ": ")) return std::nullopt;
  return line.substr(2);
}

// `MDEV UUID` value: the leading run of [a-zA-Z0-9-], at least one character.
std::optional<std::string_view> mdev_uuid(std::string_view line) {
  auto value = labelled_value(line, "MDEV UUID");
  if (!value) return std::nullopt;
  size_t n = 0;
  while (n < value->size() && is_uuid_char((*value)[n])) ++n;
  if (n == 0) return std::nullopt;
  return value->substr(0, n);
}

// `GPU Instance ID` value: the leading digits, else a leading `N/A`.
std::optional<std::string_view> instance_id(std::string_view line) {
  auto value = labelled_value(line, "GPU Instance ID");
  if (!value) return std::nullopt;
  size_t n = 0;
  while (n < value->size() && (*value)[n] >= '0' && (*value)[n] <= '9') ++n;
  if (n > 0) return value->substr(0, n);
  if (starts_with(*value, "N/A")) return value->substr(0, 3);
  return std::nullopt;
}

struct Section {
  std::string_view address;
  std::vector<std::string_view> uuids, instances;
};

VgpuBlock to_block(const BusId& bus, const Section& s) {
  VgpuBlock b{.bus = bus, .mdevs = {}};
  for (size_t i = 0; i < s.uuids.size(); ++i) {
    // The reference indexes past the end (and panics) when a record lacks its
    // instance line; such an mdev is taken as not bound to a MIG instance.
    std::string_view inst = i < s.instances.size() ? s.instances[i] : std::string_view("N/A");
    b.mdevs.emplace_back(std::string(s.uuids[i]), std::string(inst));
  }
  return b;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (!contains(v, s)) v.push_back(s);
}

}  // namespace

Result<std::vector<VgpuBlock>> parse_nvidia_smi_vgpu(std::string_view text) {
  std::vector<Section> sections;
  for (std::string_view line : split(text, '\n')) {
    // Tolerates CRLF line ends, which would otherwise hide every header.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto addr = header_address(line)) {
      sections.push_back(Section{.address = *addr, .uuids = {}, .instances = {}});
      continue;
    }
    if (sections.empty()) continue;  // anything before the first GPU belongs to none
    if (auto uuid = mdev_uuid(line)) {
      sections.back().uuids.push_back(*uuid);
    } else if (auto inst = instance_id(line)) {
      sections.back().instances.push_back(*inst);
    }
  }
  if (sections.empty() && !trim(text).empty()) {
    return invalid("nvidia-smi vgpu output has no `GPU <address>` section: " + quote_for_error(text));
  }

  std::vector<VgpuBlock> blocks;
  for (const Section& s : sections) {
    // A header whose address is not DOMAIN:BUS:DEVICE.FUNCTION can match no device;
    // it still ends the section before it.
    auto bus = parse_bus_id(s.address);
    if (!bus) continue;
    blocks.push_back(to_block(*bus, s));
  }
  return blocks;
}

// Sections with no mdev still clear the GPU's lists (the reference skipped them, so
// the last vGPU leaving a GPU was never noticed). Several sections naming one GPU
// are merged rather than the later one wiping the earlier.
void apply_vgpu(std::vector<Device>& devices, const std::vector<VgpuBlock>& blocks) {
  for (Device& d : devices) {
    if (!d.bus_id) continue;
    bool cleared = false;
    for (const VgpuBlock& b : blocks) {
      if (!(b.bus == *d.bus_id)) continue;
      if (!cleared) {
        if (d.mig_enabled) {
          for (MigInstance& m : d.mig_instances) m.mdev_uuids.clear();
        } else {
          d.mdev_uuids.clear();
        }
        cleared = true;
      }
      for (const auto& [uuid, inst] : b.mdevs) {
        if (!d.mig_enabled) {
          add_unique(d.mdev_uuids, uuid);
          continue;
        }
        for (MigInstance& m : d.mig_instances) {
          if (std::to_string(m.gpu_inst_id) == inst) add_unique(m.mdev_uuids, uuid);
        }
      }
    }
  }
}

}  // namespace ceems::gpu
