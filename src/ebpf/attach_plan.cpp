#include "ebpf/attach_plan.h"

#include <utility>

namespace ceems::ebpf {

std::string_view method_name(Method m) {
  switch (m) {
    case Method::kNone:
      return "none";
    case Method::kFentry:
      return "fentry";
    case Method::kKprobe:
      return "kprobe";
    case Method::kTpBtf:
      return "tp_btf";
    case Method::kRawTp:
      return "raw_tracepoint";
    case Method::kTracepoint:
      return "tracepoint";
    case Method::kCgroupSkb:
      return "cgroup_skb";
    case Method::kSocketCounters:
      return "socket_counters";
  }
  return "unknown";
}

std::string describe(const Features& f) {
  const std::pair<bool, const char*> all[] = {
      {f.vfs_fentry, "vfs_fentry"},
      {f.vfs_kprobe, "vfs_kprobe"},
      {f.vfs_tp_btf, "vfs_tp_btf"},
      {f.vfs_raw_tp, "vfs_raw_tracepoint"},
      {f.vfs_tracepoint, "vfs_tracepoint"},
      {f.net_fentry, "net_fentry"},
      {f.net_kprobe, "net_kprobe"},
      {f.net_cgroup_skb, "net_cgroup_skb"},
      {f.retrans_tp_btf, "retrans_tp_btf"},
      {f.retrans_raw_tp, "retrans_raw_tracepoint"},
      {f.retrans_tracepoint, "retrans_tracepoint"},
  };
  std::string out;
  for (const auto& [ok, name] : all) {
    if (!ok) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out.empty() ? "none" : out;
}

Plan choose_attach(const Features& f) {
  Plan p;
  if (f.vfs_fentry) {
    p.vfs = Method::kFentry;
  } else if (f.vfs_kprobe) {
    p.vfs = Method::kKprobe;
  } else if (f.vfs_tp_btf) {
    p.vfs = Method::kTpBtf;
  } else if (f.vfs_raw_tp) {
    p.vfs = Method::kRawTp;
  } else if (f.vfs_tracepoint) {
    p.vfs = Method::kTracepoint;
  }

  if (f.net_fentry) {
    p.net = Method::kFentry;
  } else if (f.net_kprobe) {
    p.net = Method::kKprobe;
  } else if (f.net_cgroup_skb) {
    p.net = Method::kCgroupSkb;
  }

  if (p.net == Method::kFentry || p.net == Method::kKprobe) {
    p.retrans = Method::kSocketCounters;
  } else if (p.net == Method::kCgroupSkb) {
    if (f.retrans_tp_btf) {
      p.retrans = Method::kTpBtf;
    } else if (f.retrans_raw_tp) {
      p.retrans = Method::kRawTp;
    } else if (f.retrans_tracepoint) {
      p.retrans = Method::kTracepoint;
    }
  }
  return p;
}

bool plan_covers(const Plan& p, bool io, bool net) {
  return (!io || p.vfs != Method::kNone) && (!net || p.net != Method::kNone);
}

}  // namespace ceems::ebpf
