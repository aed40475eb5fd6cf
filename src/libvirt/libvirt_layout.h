// The libvirt layout (spec 12): systemd's `machine.slice/machine-qemu\x2d<n>\x2d<name>.scope`
// and libvirt's own `machine/qemu-<n>-<name>.libvirt-qemu`; `libvirt`, `emulator`
// and `vcpu<n>` below an instance are its children.
#pragma once

#include <optional>
#include <string_view>

#include "cgroup/mode.h"
#include "units/layout.h"

namespace ceems::libvirt {

// The same on v1 and v2 (the mode is taken for a uniform layout factory).
units::Layout libvirt_layout(cgroup::Mode mode);

// Hand-written equivalent of the spec's regular expression (leftmost-first
// semantics, '.' not matching '\n', '$' only at the end), applied to an unescaped
// path. Returns the capture (a view into path) or nullopt.
//   ^.*/(?:.+?)-qemu-(?:[0-9]+)-(instance-[0-9a-f]+)(?:.*$)
// Only when that does not match, the non-systemd libvirt naming
// `<partition>/qemu-<id>-instance-<hex>.libvirt-qemu` (libvirt's machine name
// "qemu-<id>-<name>" plus ".libvirt-<driver>"):
//   ^.*/qemu-(?:[0-9]+)-(instance-[0-9a-f]+)(?:.*$)
std::optional<std::string_view> match_libvirt_instance(std::string_view path);

// Child-cgroup rule, applied to the raw (escaped) path: contains "/libvirt",
// "/emulator" or "/vcpu".
bool is_libvirt_child(std::string_view raw_path);

}  // namespace ceems::libvirt
