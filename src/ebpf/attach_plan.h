// Which attach method each logical hook uses, chosen from probed kernel features
// (never from the kernel version): the probe loads and attaches the candidate
// programs, choose_attach picks the preferred working one.
#pragma once

#include <string>
#include <string_view>

namespace ceems::ebpf {

enum class Method {
  kNone,
  kFentry,          // fexit BTF trampolines on kernel functions
  kKprobe,          // kprobe/kretprobe on kernel functions
  kTpBtf,           // BTF-typed raw tracepoint
  kRawTp,           // untyped raw tracepoint
  kTracepoint,      // classic tracepoint (needs tracefs)
  kCgroupSkb,       // cgroup_skb ingress/egress on the cgroup v2 root
  kSocketCounters,  // retransmissions from the TCP socket counters read by the net hooks
};

std::string_view method_name(Method m);

// The candidates that loaded and attached in the probe. A hook that was not
// probed (its metrics are disabled) has every field false.
struct Features {
  bool vfs_fentry = false;
  bool vfs_kprobe = false;
  bool vfs_tp_btf = false;
  bool vfs_raw_tp = false;
  bool vfs_tracepoint = false;
  bool net_fentry = false;
  bool net_kprobe = false;
  bool net_cgroup_skb = false;
  bool retrans_tp_btf = false;
  bool retrans_raw_tp = false;
  bool retrans_tracepoint = false;

  bool operator==(const Features&) const = default;
};

// One line for the log: the names of the working candidates.
std::string describe(const Features& f);

struct Plan {
  Method vfs = Method::kNone;
  Method net = Method::kNone;
  Method retrans = Method::kNone;  // kNone also when the net hook has no retransmission source

  bool operator==(const Plan&) const = default;
};

// Preference: VFS fentry > kprobe > tp_btf > raw_tp > tracepoint (the function
// hooks see exactly the VFS calls; the syscall hooks approximate them). Network
// fentry > kprobe > cgroup_skb (function hooks see the task, so they work with
// v1 cgroup ids). Retransmissions come with the function hooks; with cgroup_skb
// from the tcp_retransmit_skb tracepoint: tp_btf > raw_tp > tracepoint.
Plan choose_attach(const Features& f);

// True when every requested hook got a method.
bool plan_covers(const Plan& p, bool io, bool net);

}  // namespace ceems::ebpf
