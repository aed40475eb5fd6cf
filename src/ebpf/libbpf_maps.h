// Reading the programs' BPF maps: entries of the cgroups still wanted are
// collected, those of forgotten cgroups deleted. Internal to src/ebpf (libbpf
// builds only).
#pragma once

#include <bpf/libbpf.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/result.h"
#include "ebpf/aggregate.h"

namespace ceems::ebpf {

inline std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

Status read_rw(bpf_map* map, const std::vector<uint64_t>& forget, std::vector<RwEntry>& out);
Status read_calls(bpf_map* map, const std::vector<uint64_t>& forget, std::vector<CallEntry>& out);
Status read_net(bpf_map* map, const std::vector<uint64_t>& forget, std::vector<NetEntry>& out);

}  // namespace ceems::ebpf
