// Decoding of `nvidia-smi --query --xml-format` into the device list, including
// MIG instances and the global index numbering Slurm ordinals are matched against.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/go/xml.h"
#include "core/strings.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

std::string_view text_of(const pugi::xml_node& node) { return trim(node.text().as_string()); }

// Unsigned MIG attribute: empty text is 0 (as Go's encoding/xml decodes it). The
// original failed the whole document on non-numeric text such as `N/A`, which
// silently disabled GPU mapping on the node; such a value is taken as 0 instead so
// that the rest of the inventory survives.
uint64_t mig_number(const pugi::xml_node& node) {
  std::string_view t = text_of(node);
  if (t.empty()) return 0;
  return parse_u64(t).value_or(0);
}

std::string display_name(const pugi::xml_node& gpu) {
  std::string name;
  for (const char* field : {"product_name", "product_brand", "product_architecture"}) {
    std::string_view part = text_of(gpu.child(field));
    if (part.empty()) continue;
    if (!name.empty()) name += ' ';
    name += part;
  }
  return name;
}

struct MigRecord {
  MigInstance instance;
  uint64_t sm_count = 0;
};

std::vector<MigRecord> mig_records(const pugi::xml_node& gpu) {
  std::vector<MigRecord> out;
  // `<mig_devices>None</mig_devices>` has no mig_device children: no instances.
  for (const pugi::xml_node& mig : gpu.child("mig_devices").children("mig_device")) {
    MigRecord r;
    r.instance.local_index = std::to_string(mig_number(mig.child("index")));
    r.instance.gpu_inst_id = mig_number(mig.child("gpu_instance_id"));
    r.instance.compute_inst_id = mig_number(mig.child("compute_instance_id"));
    r.sm_count = mig_number(mig.child("device_attributes").child("shared").child("multiprocessor_count"));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<std::vector<Device>> parse_nvidia_smi_xml(std::string_view xml) {
  pugi::xml_document doc;
  if (auto loaded = go::load_xml(doc, xml); !loaded) {
    return invalid("nvidia-smi output is " + loaded.error().message() + "; output starts with " +
                   quote_for_error(xml));
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "nvidia_smi_log") {
    return invalid("nvidia-smi XML root element is <" + std::string(root.name()) +
                   ">, expected <nvidia_smi_log>; output starts with " + quote_for_error(xml));
  }

  std::vector<Device> devices;
  uint64_t next_global = 0;
  for (const pugi::xml_node& gpu : root.children("gpu")) {
    Device d;
    d.local_index = std::to_string(devices.size());
    d.uuid = std::string(text_of(gpu.child("uuid")));
    d.name = display_name(gpu);
    // An unparsable address only costs the vGPU refresh its match; the caller logs it.
    if (auto bus = parse_bus_id(gpu.attribute("id").as_string()); bus.ok()) d.bus_id = *bus;
    d.mig_enabled = text_of(gpu.child("mig_mode").child("current_mig")) == "Enabled";
    d.vgpu_enabled = text_of(gpu.child("gpu_virtualization_mode").child("virtualization_mode")) == "VGPU";

    if (!d.mig_enabled) d.global_index = std::to_string(next_global++);
    // Instances listed under a GPU whose MIG mode is not Enabled still take indices,
    // as in the original.
    std::vector<MigRecord> records = mig_records(gpu);
    uint64_t total_sm = 0;
    for (const auto& r : records) total_sm += r.sm_count;
    for (auto& r : records) {
      r.instance.global_index = std::to_string(next_global++);
      r.instance.sm_fraction = total_sm == 0
                                   ? std::numeric_limits<double>::quiet_NaN()
                                   : static_cast<double>(r.sm_count) / static_cast<double>(total_sm);
      d.mig_instances.push_back(std::move(r.instance));
    }
    devices.push_back(std::move(d));
  }
  return devices;
}

}  // namespace ceems::gpu
