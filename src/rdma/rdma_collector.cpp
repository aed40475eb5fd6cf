#include "rdma/rdma_collector.h"

#include <functional>
#include <optional>
#include <utility>

#include "core/parallel.h"
#include "core/strings.h"
#include "rdma/rdma_parsers.h"

namespace ceems::rdma {
namespace {

constexpr std::string_view kExecContext = "rdma_exec_cmd";
const std::vector<std::string> kRootCaps = {"cap_setuid", "cap_setgid"};

// Sysfs port counters exported system-wide, with the factor that turns the file's
// unit into the metric's (the data counters count 4-octet words).
struct PortCounter {
  std::string_view file;
  uint64_t scale;
  MetricDesc desc;
};

MetricDesc desc(std::string_view name, MetricType type, std::string_view help, bool per_unit) {
  std::vector<std::string> labels = {"manager", "hostname", "device", "port"};
  if (per_unit) labels.emplace_back("uuid");
  return {"ceems_rdma_" + std::string(name), std::string(help), type, std::move(labels)};
}

const std::vector<PortCounter>& port_counters() {
  static const std::vector<PortCounter> kCounters = {
      {"port_rcv_constraint_errors", 1,
       desc("port_constraint_errors_received_total", MetricType::kCounter,
            "Number of packets received on the switch physical port that are discarded", false)},
      {"port_xmit_constraint_errors", 1,
       desc("port_constraint_errors_transmitted_total", MetricType::kCounter,
            "Number of packets not transmitted from the switch physical port", false)},
      {"port_rcv_data", 4,
       desc("port_data_received_bytes_total", MetricType::kCounter,
            "Number of data octets received on all links", false)},
      {"port_xmit_data", 4,
       desc("port_data_transmitted_bytes_total", MetricType::kCounter,
            "Number of data octets transmitted on all links", false)},
      {"port_rcv_discards", 1,
       desc("port_discards_received_total", MetricType::kCounter,
            "Number of inbound packets discarded by the port because the port is down or congested", false)},
      {"port_xmit_discards", 1,
       desc("port_discards_transmitted_total", MetricType::kCounter,
            "Number of outbound packets discarded by the port because the port is down or congested", false)},
      {"port_rcv_errors", 1,
       desc("port_errors_received_total", MetricType::kCounter,
            "Number of packets containing an error that were received on this port", false)},
      {"port_rcv_packets", 1,
       desc("port_packets_received_total", MetricType::kCounter,
            "Number of packets received on all VLs by this port (including errors)", false)},
      {"port_xmit_packets", 1,
       desc("port_packets_transmitted_total", MetricType::kCounter,
            "Number of packets transmitted on all VLs from this port (including errors)", false)},
  };
  return kCounters;
}

const MetricDesc& state_desc() {
  static const MetricDesc kDesc =
      desc("state_id", MetricType::kGauge,
           "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)",
           false);
  return kDesc;
}

struct UnitDescs {
  MetricDesc qps = desc("qps_active", MetricType::kGauge, "Number of active QPs", true);
  MetricDesc cqs = desc("cqs_active", MetricType::kGauge, "Number of active CQs", true);
  MetricDesc mrs = desc("mrs_active", MetricType::kGauge, "Number of active MRs", true);
  MetricDesc cqe_len = desc("cqe_len_active", MetricType::kGauge, "Length of active CQs", true);
  MetricDesc mrs_len = desc("mrs_len_active", MetricType::kGauge, "Length of active MRs", true);
  std::map<std::string, MetricDesc, std::less<>> hw;

  UnitDescs() {
    static constexpr std::pair<std::string_view, std::string_view> kHelp[] = {
        {"rx_write_requests", "Number of received write requests for the associated QPs"},
        {"rx_read_requests", "Number of received read requests for the associated QPs"},
        {"rx_atomic_requests", "Number of received atomic request for the associated QPs"},
        {"req_cqe_error", "Number of times requester detected CQEs completed with errors"},
        {"req_cqe_flush_error", "Number of times requester detected CQEs completed with flushed errors"},
        {"req_remote_access_errors", "Number of times requester detected remote access errors"},
        {"req_remote_invalid_request", "Number of times requester detected remote invalid request errors"},
        {"resp_cqe_error", "Number of times responder detected CQEs completed with errors"},
        {"resp_cqe_flush_error", "Number of times responder detected CQEs completed with flushed errors"},
        {"resp_local_length_error", "Number of times responder detected local length errors"},
        {"resp_remote_access_errors", "Number of times responder detected remote access errors"},
    };
    for (const auto& [name, help] : kHelp) {
      hw.emplace(std::string(name), desc(name, MetricType::kCounter, help, true));
    }
  }
};

const UnitDescs& unit_descs() {
  static const UnitDescs kDescs;
  return kDescs;
}

}  // namespace

std::vector<std::string> RdmaCollector::capabilities() const {
  if (!per_pid_stats_) return {};
  return kRootCaps;
}

Result<std::string> RdmaCollector::run_rdma(std::vector<std::string> args, bool as_root) {
  if (rdma_path_.empty()) return Error(ErrorKind::kNotFound, "rdma command not found");
  Command cmd;
  cmd.argv.reserve(args.size() + 1);
  cmd.argv.push_back(rdma_path_);
  for (std::string& a : args) cmd.argv.push_back(std::move(a));
  cmd.timeout = kCommandTimeout;
  if (!as_root) {
    auto r = runner_.run(cmd);
    if (!r) return r.error();
    return std::move(r->output);
  }
  cmd.uid = 0;
  cmd.gid = 0;
  // The fork happens on the privileged thread, so the child can switch to root.
  std::optional<Result<CommandOutput>> result;
  Status st = privileges_.run_with(kExecContext, kRootCaps, [&]() -> Status {
    result.emplace(runner_.run(cmd));
    return result->ok() ? Status::Ok() : Status(result->error());
  });
  if (!result) return st.ok() ? Error(ErrorKind::kIo, "rdma command not run") : st.error();
  if (!result->ok()) return result->error();
  return std::move((*result)->output);
}

void RdmaCollector::enable_qp_counters() {
  std::lock_guard lock(modes_mu_);
  std::string errors;
  for (auto& [link, on] : qp_modes_) {
    if (on) continue;
    auto r = run_rdma({"statistic", "qp", "set", "link", link, "auto", "type,pid", "on"}, true);
    if (r) {
      on = true;
      switched_on_.insert(link);
      logger_.debug("Per-PID QP counters enabled", {{"link", link}});
    } else {
      if (!errors.empty()) errors += "; ";
      errors += "link " + link + ": " + r.error().message();
    }
  }
  if (!errors.empty()) logger_.error("Failed to enable Per-PID QP stats", {{"err", errors}});
}

void RdmaCollector::stop() {
  std::lock_guard lock(modes_mu_);
  for (const std::string& link : switched_on_) {
    auto r = run_rdma({"statistic", "qp", "set", "link", link, "auto", "off"}, true);
    if (r) {
      qp_modes_[link] = false;
      logger_.debug("Per-PID QP counters disabled", {{"link", link}});
    } else {
      logger_.error("Failed to disable Per-PID QP stats", {{"link", link}, {"err", r.error()}});
    }
  }
  switched_on_.clear();
}

void RdmaCollector::emit_port_counters(MetricBatch& out) const {
  const Filesystem& fs = host_.fs();
  const std::string class_dir = host_.sys("class/infiniband");
  auto devices = fs.list_dir(class_dir);
  if (!devices) {
    logger_.error("Failed to list InfiniBand devices", {{"err", devices.error()}});
    return;
  }
  for (const DirEntry& device : *devices) {
    const std::string ports_dir = HostFs::join(class_dir, device.name + "/ports");
    auto ports = fs.list_dir(ports_dir);
    if (!ports) {
      logger_.debug("Failed to list InfiniBand ports", {{"device", device.name}, {"err", ports.error()}});
      continue;
    }
    for (const DirEntry& port_entry : *ports) {
      auto port_num = parse_u64(port_entry.name);
      if (!port_num || *port_num > UINT32_MAX) continue;
      const std::string port = std::to_string(*port_num);
      const std::string port_dir = HostFs::join(ports_dir, port_entry.name);
      for (const PortCounter& counter : port_counters()) {
        auto text = fs.read_file(port_dir + "/counters/" + std::string(counter.file), 256);
        if (!text) continue;  // counters a device does not have read as 0
        auto v = parse_u64(*text);
        if (!v || *v == 0) continue;
        out.add(counter.desc, {opts_.manager, opts_.hostname, device.name, port},
                static_cast<double>(*v) * static_cast<double>(counter.scale));
      }
      if (auto state = fs.read_file(port_dir + "/state", 256)) {
        auto id = parse_port_state(*state);
        if (id && *id > 0) {
          out.add(state_desc(), {opts_.manager, opts_.hostname, device.name, port}, static_cast<double>(*id));
        }
      }
    }
  }
}

Status RdmaCollector::update(std::span<const ComputeUnit> units, MetricBatch& out) {
  if (!available_) return no_data("no RDMA devices in " + host_.sys("class/infiniband"));

  enable_qp_counters();

  // A pid listed by several units goes to the last one, as in the reference.
  PidUnits pid_units;
  for (const ComputeUnit& unit : units) {
    for (pid_t pid : unit.procs) pid_units[std::to_string(pid)] = unit.uuid;
  }

  // The commands are independent and each may take up to its timeout; the port
  // counters are read meanwhile.
  using Totals = Result<std::map<std::string, ResourceTotals>>;
  std::optional<Totals> mr_result;
  std::optional<Totals> cq_result;
  std::optional<Result<std::vector<QpLine>>> qp_result;
  std::optional<Result<std::vector<QpStatsLine>>> stats_result;
  std::vector<std::function<void()>> tasks = {
      [&] {
        auto text = run_rdma({"resource", "show", "mr"}, false);
        mr_result.emplace(text ? Totals(aggregate_resources(parse_mr_lines(*text), pid_units))
                               : text.error());
      },
      [&] {
        auto text = run_rdma({"resource", "show", "cq"}, false);
        cq_result.emplace(text ? Totals(aggregate_resources(parse_cq_lines(*text), pid_units))
                               : text.error());
      },
      [&] {
        auto text = run_rdma({"resource", "show", "qp"}, false);
        qp_result.emplace(text ? Result<std::vector<QpLine>>(parse_qp_lines(*text)) : text.error());
      },
  };
  if (per_pid_stats_) {
    tasks.emplace_back([&] {
      auto text = run_rdma({"statistic", "qp", "show"}, false);
      stats_result.emplace(text ? Result<std::vector<QpStatsLine>>(parse_qp_stats_lines(*text))
                                : text.error());
    });
  }
  tasks.emplace_back([&] { emit_port_counters(out); });  // last: on this thread, the only one writing to out
  parallel_for(tasks.size(), [&](size_t i) { tasks[i](); });

  const UnitDescs& d = unit_descs();
  auto& mrs = *mr_result;
  if (mrs) {
    for (const auto& [uuid, t] : *mrs) {
      out.add(d.mrs, {opts_.manager, opts_.hostname, t.device, "", uuid}, static_cast<double>(t.count));
      out.add(d.mrs_len, {opts_.manager, opts_.hostname, t.device, "", uuid}, static_cast<double>(t.length));
    }
  } else {
    logger_.error("Failed to fetch RDMA MR stats", {{"err", mrs.error()}});
  }
  auto& cqs = *cq_result;
  if (cqs) {
    for (const auto& [uuid, t] : *cqs) {
      out.add(d.cqs, {opts_.manager, opts_.hostname, t.device, "", uuid}, static_cast<double>(t.count));
      out.add(d.cqe_len, {opts_.manager, opts_.hostname, t.device, "", uuid}, static_cast<double>(t.length));
    }
  } else {
    logger_.error("Failed to fetch RDMA CQ stats", {{"err", cqs.error()}});
  }

  std::vector<QpLine> qp_lines;
  std::vector<QpStatsLine> stats_lines;
  auto& qps = *qp_result;
  if (qps) {
    qp_lines = std::move(*qps);
  } else {
    logger_.error("Failed to fetch RDMA QP stats", {{"err", qps.error()}});
  }
  if (stats_result) {
    auto& stats = *stats_result;
    if (stats) {
      stats_lines = std::move(*stats);
    } else {
      logger_.error("Failed to fetch RDMA QP hardware counters", {{"err", stats.error()}});
    }
  }
  if (qps || !stats_lines.empty()) {
    for (const auto& [uuid, t] : aggregate_qps(qp_lines, stats_lines, pid_units)) {
      const std::initializer_list<std::string_view> labels = {opts_.manager, opts_.hostname, t.device, t.port,
                                                              uuid};
      if (qps) out.add(d.qps, labels, static_cast<double>(t.count));
      for (const auto& [name, value] : t.counters) {
        if (value == 0) continue;
        auto it = d.hw.find(name);
        if (it != d.hw.end()) out.add(it->second, labels, static_cast<double>(value));
      }
    }
  }
  return Status::Ok();
}

}  // namespace ceems::rdma
