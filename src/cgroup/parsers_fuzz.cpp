// Feeds the same input to every cgroup parser.
#include <optional>
#include <string_view>

#include "cgroup/parsers.h"
#include "core/fuzz_harness.h"

namespace {
void fuzz(std::string_view in) {
  using namespace ceems::cgroup;
  (void)parse_cgroup_uint(in);
  (void)parse_v1_value(in);
  (void)parse_v2_value(in);
  if (auto kvs = parse_flat_keyed(in, true); kvs.ok()) (void)find_key(*kvs, "total_rss");
  (void)parse_flat_keyed(in, false);
  // The scanning variant must agree with parse + find_key.
  for (bool strict : {false, true}) {
    static constexpr std::string_view kKeys[] = {"anon", "total_rss"};
    std::optional<uint64_t> got[2];
    ceems::Status st = scan_flat_keyed(in, strict, kKeys, got);
    auto kvs = parse_flat_keyed(in, strict);
    if (st.ok() != kvs.ok()) __builtin_trap();
    if (kvs.ok() && (got[0] != find_key(*kvs, kKeys[0]) || got[1] != find_key(*kvs, kKeys[1])))
      __builtin_trap();
  }
  (void)parse_cpuacct_stat(in);
  (void)parse_percpu(in);
  (void)parse_psi_full_total(in);
  (void)parse_io_stat(in);
  (void)parse_blkio(in);
  (void)parse_rdma(in);
  (void)rdma_line_count(in);
  (void)count_cpus(in);
  (void)parse_cgroup_procs(in);
  std::vector<pid_t> pids;
  append_cgroup_procs(in, pids);
  (void)parse_diskstats(in);
  (void)parse_host_memory(in);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
