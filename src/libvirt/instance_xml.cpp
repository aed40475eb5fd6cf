// Decoding of libvirt domain XML and the host device -> GPU ordinal matching.
#include "libvirt/instance_xml.h"

#include <algorithm>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/go/xml.h"
#include "core/strings.h"

namespace ceems::libvirt {
namespace {

// libvirt writes PCI address parts as 0x-prefixed hex ("0x0000", "0x15").
std::string_view address_part(const pugi::xml_node& address, const char* name) {
  std::string_view v = trim(address.attribute(name).as_string());
  if (starts_with(v, "0x")) v.remove_prefix(2);
  return v;
}

std::optional<gpu::BusId> pci_bus_id(const pugi::xml_node& address) {
  std::string text;
  text.append(address_part(address, "domain"))
      .append(":")
      .append(address_part(address, "bus"))
      .append(":")
      .append(address_part(address, "slot"))
      .append(".")
      .append(address_part(address, "function"));
  auto id = gpu::parse_bus_id(text);
  if (!id) return std::nullopt;
  return *id;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The ordinal of the GPU or MIG instance holding this mdev, or nullopt.
std::optional<std::string> mdev_ordinal(const std::string& uuid, std::span<const gpu::Device> gpus) {
  for (const gpu::Device& d : gpus) {
    if (d.mig_enabled) {
      for (const gpu::MigInstance& m : d.mig_instances) {
        if (contains(m.mdev_uuids, uuid)) return m.global_index;
      }
    } else if (contains(d.mdev_uuids, uuid)) {
      return d.global_index;
    }
  }
  return std::nullopt;
}

}  // namespace

Result<InstanceProps> parse_instance_xml(std::string_view xml) {
  pugi::xml_document doc;
  if (auto loaded = go::load_xml(doc, xml); !loaded) return loaded.error();
  pugi::xml_node root = doc.document_element();
  const std::string_view root_name = root.name();
  if (root_name == "domstatus") {
    root = root.child("domain");
    if (!root) return invalid("<domstatus> has no <domain>");
  } else if (root_name != "domain") {
    return invalid("root element is <" + std::string(root_name) + ">, expected <domain> or <domstatus>");
  }
  InstanceProps props;
  props.uuid = std::string(trim(root.child("uuid").text().as_string()));
  if (props.uuid.empty()) return invalid("<domain> has no <uuid>");

  for (const pugi::xml_node& dev : root.child("devices").children("hostdev")) {
    std::string_view type = dev.attribute("type").as_string();
    pugi::xml_node address = dev.child("source").child("address");
    if (type == "pci") {
      props.hostdevs.push_back({HostDevice::Kind::kPci, pci_bus_id(address), {}});
    } else if (type == "mdev") {
      props.hostdevs.push_back(
          {HostDevice::Kind::kMdev, std::nullopt, std::string(trim(address.attribute("uuid").as_string()))});
    }
  }
  return props;
}

std::vector<std::string> gpu_ordinals(const InstanceProps& props, std::span<const gpu::Device> gpus) {
  std::vector<std::string> out;
  for (const HostDevice& h : props.hostdevs) {
    if (h.kind == HostDevice::Kind::kPci) {
      if (!h.bus_id) continue;
      auto it = std::find_if(gpus.begin(), gpus.end(),
                             [&](const gpu::Device& d) { return d.bus_id && *d.bus_id == *h.bus_id; });
      if (it != gpus.end()) out.push_back(it->global_index);
    } else if (!h.mdev_uuid.empty()) {
      if (auto ordinal = mdev_ordinal(h.mdev_uuid, gpus)) out.push_back(std::move(*ordinal));
    }
  }
  return out;
}

}  // namespace ceems::libvirt
