// Parsers for the human-readable output of the iproute2 `rdma` tool and for the
// InfiniBand port `state` file in sysfs. The line matching is hand-written but
// reproduces the regular expressions of the reference exporter (spec 17) exactly,
// including their quirks, so that wrapper scripts in the field keep working:
//   link:    ^link\s*([a-z0-9_/]+)        device: ^dev\s*([a-z0-9_]+)
//   mode:    auto\s*([a-z,]+)             value:  .+?<name>\s*([\d]+)
// Lines that do not match are skipped.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ceems::rdma {

// Hardware counters of `rdma statistic qp show` exported per compute unit, in the
// order of the metric table of spec 17.
inline constexpr std::array<std::string_view, 11> kHwCounters = {
    "rx_write_requests",    "rx_read_requests",         "rx_atomic_requests",         "req_cqe_error",
    "req_cqe_flush_error",  "req_remote_access_errors", "req_remote_invalid_request", "resp_cqe_error",
    "resp_cqe_flush_error", "resp_local_length_error",  "resp_remote_access_errors",
};

// `rdma statistic qp mode`: link -> per-PID QP counters on. Only links whose name
// starts with "mlx" and whose line carries an `auto <mode>` field; the mode is off
// iff it is exactly "off".
std::map<std::string, bool> parse_qp_mode(std::string_view output);

// One line of `rdma resource show mr` (length = mrlen) or `... cq` (length = cqe).
// pid is kept as printed: the reference looks processes up by their decimal text.
struct ResourceLine {
  std::string device;
  std::string pid;
  uint64_t length = 0;
};
// Lines need the device, a pid and a length that fits in 64 bits (kernel objects
// without a pid are skipped).
std::vector<ResourceLine> parse_mr_lines(std::string_view output);
std::vector<ResourceLine> parse_cq_lines(std::string_view output);

// One line of `rdma resource show qp`.
struct QpLine {
  std::string link;  // "<device>/<port>" as printed (may be malformed, e.g. "mlx5_0/")
  std::string pid;
};
std::vector<QpLine> parse_qp_lines(std::string_view output);

// One line of `rdma statistic qp show` with the hardware counters it carries
// (counters that are absent or overflow 64 bits are left out).
struct QpStatsLine {
  std::string link;
  std::string pid;
  std::map<std::string, uint64_t> counters;  // keyed by a kHwCounters name
};
std::vector<QpStatsLine> parse_qp_stats_lines(std::string_view output);

// "<device>/<port>" split on its single '/'; nullopt for any other number of parts.
struct LinkName {
  std::string device;
  std::string port;
};
std::optional<LinkName> split_link(std::string_view link);

// The sysfs port `state` file, "<id>: <NAME>" (e.g. "4: ACTIVE") -> id. nullopt when
// there is not exactly one ':' or the id is not a 32-bit unsigned decimal.
std::optional<uint64_t> parse_port_state(std::string_view state_file);

// ---- per-unit aggregation (pure; the collector feeds it command output) ----

// pid (decimal text) -> unit uuid.
using PidUnits = std::unordered_map<std::string, std::string>;

struct ResourceTotals {
  uint64_t count = 0;
  uint64_t length = 0;
  std::string device;  // device of the first line seen for the unit
};
std::map<std::string, ResourceTotals> aggregate_resources(const std::vector<ResourceLine>& lines,
                                                          const PidUnits& units);

struct QpTotals {
  uint64_t count = 0;
  std::string device;
  std::string port;
  std::map<std::string, uint64_t> counters;
};
// QP counts from `resource show qp` lines, then hardware counters from statistic
// lines (which create a unit's entry with count 0 when it has no QP line).
std::map<std::string, QpTotals> aggregate_qps(const std::vector<QpLine>& qps,
                                              const std::vector<QpStatsLine>& stats, const PidUnits& units);

}  // namespace ceems::rdma
