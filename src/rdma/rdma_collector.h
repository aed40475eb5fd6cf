// The RDMA sub-collector's implementation: InfiniBand port counters from sysfs and
// per-unit QP/CQ/MR counts from the `rdma` tool, whose commands of one scrape run
// concurrently. Internal to src/rdma; rdma.h is the entry point.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rdma/rdma.h"

namespace ceems::rdma {

inline constexpr std::chrono::milliseconds kCommandTimeout{5000};

class RdmaCollector final : public UnitSubCollector {
 public:
  // An unavailable instance (no RDMA devices) has available = false.
  RdmaCollector(const HostFs& host, CommandRunner& runner, Privileges& privileges, Options opts,
                std::string rdma_path, std::map<std::string, bool> qp_modes, bool available,
                log::Logger logger)
      : host_(host),
        runner_(runner),
        privileges_(privileges),
        opts_(std::move(opts)),
        rdma_path_(std::move(rdma_path)),
        qp_modes_(std::move(qp_modes)),
        per_pid_stats_(!qp_modes_.empty()),
        available_(available),
        logger_(std::move(logger)) {}

  ~RdmaCollector() override = default;
  RdmaCollector(const RdmaCollector&) = delete;
  RdmaCollector& operator=(const RdmaCollector&) = delete;

  Status update(std::span<const ComputeUnit> units, MetricBatch& out) override;
  void stop() override;
  std::vector<std::string> capabilities() const override;

 private:
  Result<std::string> run_rdma(std::vector<std::string> args, bool as_root);
  void enable_qp_counters();
  void emit_port_counters(MetricBatch& out) const;

  HostFs host_;
  CommandRunner& runner_;
  Privileges& privileges_;
  Options opts_;
  std::string rdma_path_;  // empty: not found, every command fails

  std::mutex modes_mu_;  // guards qp_modes_ and switched_on_ (scrapes may overlap)
  std::map<std::string, bool> qp_modes_;
  std::set<std::string> switched_on_;  // links this process switched on, switched off by stop()
  const bool per_pid_stats_;
  const bool available_;
  log::Logger logger_;
};

}  // namespace ceems::rdma
