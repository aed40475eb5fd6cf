#include "libvirt/libvirt_layout.h"

#include "core/strings.h"

namespace ceems::libvirt {
namespace {

// -qemu-[0-9]+-instance-[0-9a-f]+ at q (q at the leading '-' when dash, else at 'q').
// Returns the capture (instance-<hex>) or an empty view.
std::string_view qemu_at(std::string_view p, size_t q, bool dash) {
  std::string_view head = dash ? "-qemu-" : "qemu-";
  if (p.compare(q, head.size(), head) != 0) return {};
  size_t i = q + head.size();
  size_t d = i;
  while (i < p.size() && is_ascii_digit(p[i])) ++i;
  if (i == d) return {};
  if (p.compare(i, 10, "-instance-") != 0) return {};
  size_t cap = i + 1;
  i += 10;
  size_t h = i;
  while (i < p.size() && (is_ascii_digit(p[i]) || (p[i] >= 'a' && p[i] <= 'f'))) ++i;
  if (i == h) return {};
  return p.substr(cap, i - cap);
}

bool machine_root(std::string_view n) { return n == "machine.slice" || n == "machine"; }
// A machine root also holds containers and other machines: nothing to report.
bool anything(std::string_view) { return true; }

}  // namespace

units::Layout libvirt_layout(cgroup::Mode) {
  units::Layout l;
  l.name = "libvirt";
  // The systemd layout (machine.slice) and libvirt's own one (machine/).
  l.roots = {{"", &machine_root, {"machine.slice", "machine"}}};
  l.unit_id = &match_libvirt_instance;
  l.is_child = &is_libvirt_child;
  l.expected_other = &anything;
  return l;
}

std::optional<std::string_view> match_libvirt_instance(std::string_view p) {
  if (p.find('\n') != std::string_view::npos) return std::nullopt;
  // Systemd naming: ^.*/(?:.+?)-qemu-[0-9]+-(instance-[0-9a-f]+). The greedy ^.*
  // takes the last '/' that has a qemu match at least two characters after it
  // (.+? needs one); the lazy .+? then takes the first such match.
  size_t last_q = std::string_view::npos;
  for (size_t q = p.rfind("-qemu-"); q != std::string_view::npos;
       q = q == 0 ? std::string_view::npos : p.rfind("-qemu-", q - 1)) {
    if (!qemu_at(p, q, true).empty()) {
      last_q = q;
      break;
    }
  }
  if (last_q != std::string_view::npos && last_q >= 2) {
    size_t s = p.rfind('/', last_q - 2);
    if (s != std::string_view::npos) {
      for (size_t q = p.find("-qemu-", s + 2); q != std::string_view::npos; q = p.find("-qemu-", q + 1)) {
        auto cap = qemu_at(p, q, true);
        if (!cap.empty()) return cap;
      }
    }
  }
  // Non-systemd naming: ^.*/qemu-[0-9]+-(instance-[0-9a-f]+): the last "/qemu-" that matches.
  for (size_t r = p.rfind("/qemu-"); r != std::string_view::npos;
       r = r == 0 ? std::string_view::npos : p.rfind("/qemu-", r - 1)) {
    auto cap = qemu_at(p, r + 1, false);
    if (!cap.empty()) return cap;
  }
  return std::nullopt;
}

bool is_libvirt_child(std::string_view raw_path) {
  return raw_path.find("/libvirt") != std::string_view::npos ||
         raw_path.find("/emulator") != std::string_view::npos ||
         raw_path.find("/vcpu") != std::string_view::npos;
}

}  // namespace ceems::libvirt
