// libbpf implementations of the kernel seams: the feature probe loads and
// attaches each candidate program for real; BpfPrograms holds the loaded
// objects and links of the chosen plan and reads their maps.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"
#include "ebpf/attach_plan.h"
#include "ebpf/programs.h"

struct ceems_vfs;
struct ceems_net;
struct bpf_link;

namespace ceems::ebpf {

// Routes libbpf's own messages to the debug log (probe failures are expected).
void route_libbpf_messages(const log::Logger& logger);

// Whether the kernel charges BPF memory to the memory cgroup; without it the
// RLIMIT_MEMLOCK limit must be lifted. Probed like libbpf does (the helper that
// arrived together with memcg accounting), never by version. Needs BPF rights.
bool memlock_limit_needed();

// Lifts RLIMIT_MEMLOCK (needs cap_sys_resource).
Status remove_memlock_limit();

class LibbpfFeatureProbe final : public FeatureProbe {
 public:
  explicit LibbpfFeatureProbe(log::Logger logger) : logger_(std::move(logger)) {}
  Features probe(const LoadConfig& cfg) override;

 private:
  log::Logger logger_;
};

class BpfPrograms final : public MapSource {
 public:
  // Loads the objects with only the plan's programs and attaches them. A
  // missing required program fails; a missing optional one (vfs_readv, ...) is
  // logged.
  static Result<std::unique_ptr<BpfPrograms>> load(const LoadConfig& cfg, const Plan& plan,
                                                   log::Logger logger);

  ~BpfPrograms() override;
  BpfPrograms(const BpfPrograms&) = delete;
  BpfPrograms& operator=(const BpfPrograms&) = delete;

  Result<MapSnapshot> read(const std::vector<uint64_t>& forget_io,
                           const std::vector<uint64_t>& forget_net) override;
  void close() override;

  // Whether a thread without effective capabilities can read the maps through the
  // file descriptors already held (kernels since 6.5 check rights only when a map
  // or program is created, older ones with unprivileged BPF disabled on every call).
  bool readable_without_capabilities() const;

 private:
  explicit BpfPrograms(log::Logger logger) : logger_(std::move(logger)) {}

  log::Logger logger_;
  ceems_vfs* vfs_ = nullptr;
  ceems_net* net_ = nullptr;
  std::vector<bpf_link*> links_;
  int cgroup_fd_ = -1;
};

}  // namespace ceems::ebpf
