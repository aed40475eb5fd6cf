#include "ebpf/aggregate.h"

#include <algorithm>

namespace ceems::ebpf {
namespace {

MetricDesc counter(std::string name, std::string help, std::vector<std::string> labels) {
  return {std::move(name), std::move(help), MetricType::kCounter, std::move(labels)};
}

const std::vector<std::string> kMountLabels = {"manager", "hostname", "uuid", "mountpoint"};
const std::vector<std::string> kUnitLabels = {"manager", "hostname", "uuid"};
const std::vector<std::string> kNetLabels = {"manager", "hostname", "uuid", "proto", "family"};

bool keep_mount(const std::string& mount, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  return std::any_of(filters.begin(), filters.end(),
                     [&](const std::string& f) { return mount.find(f) != std::string::npos; });
}

void add_rw(const std::vector<RwEntry>& entries, const IdIndex& ids, const std::vector<std::string>& filters,
            std::map<std::pair<std::string, std::string>, RwTotals>& out) {
  for (const auto& e : entries) {
    auto it = ids.find(e.cid);
    if (it == ids.end() || !keep_mount(e.mount, filters)) continue;
    auto& t = out[{it->second, e.mount}];
    t.bytes += e.bytes;
    t.calls += e.calls;
    t.errors += e.errors;
  }
}

void add_calls(const std::vector<CallEntry>& entries, const IdIndex& ids,
               std::map<std::string, CallTotals>& out) {
  for (const auto& e : entries) {
    auto it = ids.find(e.cid);
    if (it == ids.end()) continue;
    auto& t = out[it->second];
    t.calls += e.calls;
    t.errors += e.errors;
  }
}

void add_net(const std::vector<NetEntry>& entries, const IdIndex& ids,
             std::map<std::tuple<std::string, std::string, std::string>, NetTotals>& out) {
  for (const auto& e : entries) {
    auto it = ids.find(e.cid);
    if (it == ids.end()) continue;
    auto& t = out[{it->second, std::string(proto_label(e.proto)), std::string(family_label(e.fam))}];
    t.packets += e.packets;
    t.bytes += e.bytes;
  }
}

}  // namespace

std::string mount_label(const unsigned char* mnt, size_t len) {
  const auto* end = std::find(mnt, mnt + len, '\0');
  return {reinterpret_cast<const char*>(mnt), static_cast<size_t>(end - mnt)};
}

std::string_view proto_label(uint16_t proto) {
  switch (proto) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    default:
      return "";
  }
}

std::string_view family_label(uint16_t fam) {
  switch (fam) {
    case 2:
      return "ipv4";
    case 10:
      return "ipv6";
    default:
      return "";
  }
}

Aggregates aggregate(const MapSnapshot& snap, const IdIndex& io_ids, const IdIndex& net_ids,
                     const std::vector<std::string>& mount_filters) {
  Aggregates agg;
  add_rw(snap.read, io_ids, mount_filters, agg.read);
  add_rw(snap.write, io_ids, mount_filters, agg.write);
  add_calls(snap.open, io_ids, agg.open);
  add_calls(snap.create, io_ids, agg.create);
  add_calls(snap.unlink, io_ids, agg.unlink);
  add_net(snap.ingress, net_ids, agg.ingress);
  add_net(snap.egress, net_ids, agg.egress);
  add_net(snap.retrans, net_ids, agg.retrans);
  return agg;
}

void emit(const Aggregates& agg, const EmitOptions& opts, MetricBatch& out) {
  const std::string_view m = opts.manager;
  const std::string_view h = opts.hostname;
  if (opts.io) {
    const auto rw = [&](const std::map<std::pair<std::string, std::string>, RwTotals>& totals,
                        const char* dir, const char* verb) {
      const std::string d(dir);
      auto& bytes = out.family(
          counter("ceems_ebpf_" + d + "_bytes_total",
                  std::string("Total number of bytes ") + verb + " from a cgroup in bytes", kMountLabels));
      auto& reqs = out.family(counter("ceems_ebpf_" + d + "_requests_total",
                                      "Total number of " + d + " requests from a cgroup", kMountLabels));
      auto& errs = out.family(counter("ceems_ebpf_" + d + "_errors_total",
                                      "Total number of " + d + " errors from a cgroup", kMountLabels));
      for (const auto& [key, t] : totals) {
        bytes.add({m, h, key.first, key.second}, static_cast<double>(t.bytes));
        reqs.add({m, h, key.first, key.second}, static_cast<double>(t.calls));
        errs.add({m, h, key.first, key.second}, static_cast<double>(t.errors));
      }
    };
    rw(agg.read, "read", "read");
    rw(agg.write, "write", "written");

    // The create error counter keeps the original's name (spec 15 quirk).
    const auto calls = [&](const std::map<std::string, CallTotals>& totals, const std::string& op,
                           const std::string& errors_name) {
      auto& reqs = out.family(counter("ceems_ebpf_" + op + "_requests_total",
                                      "Total number of " + op + " requests from a cgroup", kUnitLabels));
      auto& errs =
          out.family(counter(errors_name, "Total number of " + op + " errors from a cgroup", kUnitLabels));
      for (const auto& [uuid, t] : totals) {
        reqs.add({m, h, uuid}, static_cast<double>(t.calls));
        errs.add({m, h, uuid}, static_cast<double>(t.errors));
      }
    };
    calls(agg.open, "open", "ceems_ebpf_open_errors_total");
    calls(agg.create, "create", "ceems_ebpf_open_create_total");
    calls(agg.unlink, "unlink", "ceems_ebpf_unlink_errors_total");
  }
  if (opts.net) {
    const auto net = [&](const std::map<std::tuple<std::string, std::string, std::string>, NetTotals>& totals,
                         const std::string& dir, const std::string& what) {
      auto& packets = out.family(counter("ceems_ebpf_" + dir + "_packets_total",
                                         "Total number of " + what + " packets from a cgroup", kNetLabels));
      auto& bytes = out.family(counter("ceems_ebpf_" + dir + "_bytes_total",
                                       "Total number of " + what + " bytes from a cgroup", kNetLabels));
      for (const auto& [key, t] : totals) {
        const auto& [uuid, proto, fam] = key;
        packets.add({m, h, uuid, proto, fam}, static_cast<double>(t.packets));
        bytes.add({m, h, uuid, proto, fam}, static_cast<double>(t.bytes));
      }
    };
    net(agg.ingress, "ingress", "ingress");
    net(agg.egress, "egress", "egress");
    net(agg.retrans, "retrans", "retransmission");
  }
}

}  // namespace ceems::ebpf
