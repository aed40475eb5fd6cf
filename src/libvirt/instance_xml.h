// The parts of a libvirt domain XML that the libvirt collector needs (spec 12):
// the domain UUID and the host devices handed to the guest, and how those
// devices map onto the GPU inventory. The XML is either the persistent
// definition (<xml-dir>/<instance>.xml, root <domain>) or the status file of a
// running domain (<runtime-xml-dir>/<instance>.xml, root <domstatus> holding the
// live <domain>); OpenStack Nova hosts may have only the latter.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gpu/gpu.h"

namespace ceems::libvirt {

struct HostDevice {
  enum class Kind { kPci, kMdev };
  Kind kind = Kind::kPci;
  // kPci: source/address; nullopt when the address is incomplete or not hex, so
  // that it matches no GPU (as an unparsable bus id never compares equal).
  std::optional<gpu::BusId> bus_id;
  std::string mdev_uuid;  // kMdev: source/address@uuid
};

struct InstanceProps {
  std::string uuid;                  // domain/uuid
  std::vector<HostDevice> hostdevs;  // pci and mdev hostdevs, in document order
};

// Accepts a <domain> root, or a <domstatus> root whose first <domain> child is
// the definition (the status file's own <devices> list aliases, not hostdevs,
// and is not read). Errors (kInvalid) for malformed XML, any other root, a
// <domstatus> without <domain> and a missing or empty <uuid>; the caller adds
// the file name.
Result<InstanceProps> parse_instance_xml(std::string_view xml);

// The GPU ordinals (global indices) of an instance, one per matched host device in
// document order. A PCI device matches the GPU with the numerically equal bus id
// (a MIG-enabled GPU contributes its empty global index). An mdev matches the MIG
// instance, or the vGPU-capable whole GPU, whose mdev list holds its UUID.
std::vector<std::string> gpu_ordinals(const InstanceProps& props, std::span<const gpu::Device> gpus);

}  // namespace ceems::libvirt
