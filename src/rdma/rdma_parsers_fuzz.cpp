// Every `rdma` output parser, the sysfs port state parser and the per-unit
// aggregation on arbitrary bytes.
#include "core/fuzz_harness.h"
#include "rdma/rdma_parsers.h"

namespace {
void fuzz(std::string_view in) {
  using namespace ceems::rdma;  // NOLINT(google-build-using-namespace)
  (void)parse_qp_mode(in);
  (void)parse_port_state(in);
  (void)split_link(in);
  // Every pid seen belongs to a unit, so that aggregation runs on all lines.
  PidUnits units;
  auto mrs = parse_mr_lines(in);
  auto cqs = parse_cq_lines(in);
  auto qps = parse_qp_lines(in);
  auto stats = parse_qp_stats_lines(in);
  for (const auto& l : mrs) units.emplace(l.pid, "u" + l.pid);
  for (const auto& l : cqs) units.emplace(l.pid, "u" + l.pid);
  for (const auto& l : qps) units.emplace(l.pid, "u" + l.pid);
  for (const auto& l : stats) units.emplace(l.pid, "u" + l.pid);
  (void)aggregate_resources(mrs, units);
  (void)aggregate_resources(cqs, units);
  (void)aggregate_qps(qps, stats, units);
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
