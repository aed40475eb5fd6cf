// Decoding of `amd-smi static --asic --bus --json`, the fallback when rocm-smi (which
// AMD deprecates in favour of amd-smi) is not installed.
//
// Choices, so that switching tool does not change what a node reports:
// * uuid: amd-smi prints the serial as `0x`-prefixed hex in any case, rocm-smi
//   `--showserial` as bare lower-case hex; the serial is rewritten to rocm-smi's
//   form (`0x20170000800C` -> `20170000800c`). Non-hex text such as `N/A` is kept.
// * order: devices stay in output order, as for rocm-smi; the "gpu" number becomes
//   the local and global index (Slurm ordinals are matched against it).
// * Only the structure and "gpu" are load-bearing: an unusable serial, name or bus
//   address degrades to empty/unknown, as unparsable rocm-smi fields do.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

using nlohmann::json;

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string normalise_serial(std::string_view s) {
  s = trim(s);
  std::string_view digits = s;
  if (starts_with(digits, "0x") || starts_with(digits, "0X")) digits.remove_prefix(2);
  if (digits.empty()) return std::string(s);
  for (char c : digits) {
    if (!is_hex(c)) return std::string(s);
  }
  std::string out;
  out.reserve(digits.size());
  for (char c : digits) out += to_lower(c);
  return out;
}

std::string hex_of(uint64_t v) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 16]);
    v /= 16;
  } while (v != 0);
  return out;
}

// "an array", "a string", ... for error messages.
std::string a_type(const json& j) {
  std::string_view name = j.type_name();
  bool vowel = !name.empty() && std::string_view("aeiou").find(name.front()) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(name);
}

// Member `key` of `obj` when it is a string, else nullopt (missing, null, other type).
std::optional<std::string_view> string_member(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return std::string_view(it->get_ref<const std::string&>());
}

// Member `key` as an object; missing or null is an empty object, anything else a
// shape error.
Result<const json*> object_member(const json& gpu, const char* key, size_t position) {
  static const json kEmpty = json::object();
  auto it = gpu.find(key);
  if (it == gpu.end() || it->is_null()) return &kEmpty;
  if (!it->is_object()) {
    return invalid("amd-smi JSON: GPU entry " + std::to_string(position) + ": \"" + key + "\" is " +
                   a_type(*it) + ", expected an object");
  }
  return &*it;
}

Result<std::string> gpu_index(const json& gpu, size_t position) {
  auto it = gpu.find("gpu");
  if (it == gpu.end() || it->is_null()) return std::to_string(position);
  if (it->is_number_unsigned()) return std::to_string(it->get<uint64_t>());
  if (it->is_string()) {
    if (auto n = parse_u64(trim(it->get_ref<const std::string&>()))) return std::to_string(*n);
  }
  return invalid("amd-smi JSON: GPU entry " + std::to_string(position) + ": \"gpu\" is " +
                 quote_for_error(it->dump()) + ", expected a non-negative integer");
}

// The per-GPU list: the document itself, or the one array member of an object
// (newer releases wrap it, e.g. {"gpu_data": [...]}).
Result<const json*> gpu_list(const json& doc) {
  if (doc.is_array()) return &doc;
  if (!doc.is_object()) {
    return invalid("amd-smi JSON: top level is " + a_type(doc) +
                   ", expected an array or an object holding one");
  }
  const json* list = nullptr;
  for (const auto& [key, value] : doc.items()) {
    if (!value.is_array()) continue;
    if (list != nullptr) {
      return invalid("amd-smi JSON: top-level object holds more than one array (second is \"" + key + "\")");
    }
    list = &value;
  }
  if (list == nullptr) return invalid("amd-smi JSON: top-level object holds no array of GPUs");
  return list;
}

}  // namespace

Result<std::vector<Device>> parse_amd_smi_json(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid("amd-smi output is not valid JSON: " + quote_for_error(text));
  auto list = gpu_list(doc);
  if (!list) return list.error();

  std::vector<Device> devices;
  size_t position = 0;
  for (const json& gpu : **list) {
    if (!gpu.is_object()) {
      return invalid("amd-smi JSON: GPU entry " + std::to_string(position) + " is " + a_type(gpu) +
                     ", expected an object");
    }
    auto index = gpu_index(gpu, position);
    if (!index) return index.error();
    auto asic = object_member(gpu, "asic", position);
    if (!asic) return asic.error();
    auto bus = object_member(gpu, "bus", position);
    if (!bus) return bus.error();

    Device d;
    d.local_index = *index;
    d.global_index = d.local_index;
    auto serial = (*asic)->find("asic_serial");
    if (serial != (*asic)->end() && serial->is_string()) {
      d.uuid = normalise_serial(serial->get_ref<const std::string&>());
    } else if (serial != (*asic)->end() && serial->is_number_unsigned()) {
      d.uuid = hex_of(serial->get<uint64_t>());
    }
    d.name = std::string(trim(string_member(**asic, "market_name").value_or("")));
    if (auto bdf = string_member(**bus, "bdf")) {
      if (auto id = parse_bus_id(*bdf); id.ok()) d.bus_id = *id;
    }
    devices.push_back(std::move(d));
    ++position;
  }
  return devices;
}

}  // namespace ceems::gpu
