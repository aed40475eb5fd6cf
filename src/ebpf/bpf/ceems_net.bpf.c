/* TCP/UDP traffic per cgroup (spec 15 "Network"). One object carries every
 * attach variant; user space autoloads only the variant its probe chose:
 *   cgroup_skb  ingress/egress attached to the cgroup v2 root: bytes and packets
 *               from the IP header of every skb, keyed by the socket's v2
 *               cgroup id; retransmissions from the tcp_retransmit_skb
 *               tracepoint (tp_btf, raw_tp or classic) keyed the same way.
 *   fexit       tcp_sendmsg/tcp_recvmsg (socket counter deltas, incl.
 *               retransmissions), udp(v6)_sendmsg/udp(v6)_recvmsg.
 *   kprobe      tcp_sendmsg/tcp_cleanup_rbuf entry, udp* kretprobes.
 * The function-hook variants key by the current task's cgroup id (v1 or v2,
 * as configured), the skb variants always by the v2 id. */
#include "ceems_common.bpf.h"

#define CEEMS_AF_INET 2
#define CEEMS_AF_INET6 10
#define CEEMS_IPPROTO_TCP 6
#define CEEMS_IPPROTO_UDP 17

#define CEEMS_NET_MAP(name)                 \
  struct {                                  \
    __uint(type, BPF_MAP_TYPE_LRU_HASH);    \
    __uint(map_flags, BPF_F_NO_COMMON_LRU); \
    __uint(max_entries, CEEMS_MAP_ENTRIES); \
    __type(key, struct ceems_net_key);      \
    __type(value, struct ceems_net_value);  \
  } name SEC(".maps")

CEEMS_NET_MAP(ingress_accumulator);
CEEMS_NET_MAP(egress_accumulator);
CEEMS_NET_MAP(retrans_accumulator);

struct ceems_sock_counters {
  __u32 segs_in;
  __u32 segs_out;
  __u32 total_retrans;
  __u32 pad;
  __u64 bytes_received;
  __u64 bytes_sent;
  __u64 bytes_retrans;
};

/* Last seen TCP counters per socket (function-hook variants). */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, struct ceems_sock_counters);
} socket_accumulator SEC(".maps");

static __always_inline void ceems_net_add(void* map, __u64 cid, __u16 proto, __u16 fam, __u64 packets,
                                          __u64 bytes) {
  struct ceems_net_key key = {.cid = cid, .proto = proto, .fam = fam};
  struct ceems_net_value init = {.packets = packets, .bytes = bytes};
  CEEMS_ADD_OR_INSERT(map, &key, init, CEEMS_ADD_NET);
}

/* ---- cgroup_skb ------------------------------------------------------- */

static __always_inline void ceems_skb(struct __sk_buff* skb, void* map) {
  __u8 first = 0;
  if (bpf_skb_load_bytes(skb, 0, &first, 1) < 0) return;
  __u8 proto = 0;
  __u16 fam = 0;
  if ((first >> 4) == 4) {
    fam = CEEMS_AF_INET;
    if (bpf_skb_load_bytes(skb, 9, &proto, 1) < 0) return;
  } else if ((first >> 4) == 6) {
    fam = CEEMS_AF_INET6;
    if (bpf_skb_load_bytes(skb, 6, &proto, 1) < 0) return;
  } else {
    return;
  }
  if (proto != CEEMS_IPPROTO_TCP && proto != CEEMS_IPPROTO_UDP) return;
  __u64 cid = bpf_skb_cgroup_id(skb);
  if (cid == 0) return;
  __u32 segs = skb->gso_segs;
  ceems_net_add(map, cid, proto, fam, segs > 1 ? segs : 1, skb->len);
}

SEC("cgroup_skb/ingress")
int cgroup_skb_ingress(struct __sk_buff* skb) {
  ceems_skb(skb, &ingress_accumulator);
  return 1;
}

SEC("cgroup_skb/egress")
int cgroup_skb_egress(struct __sk_buff* skb) {
  ceems_skb(skb, &egress_accumulator);
  return 1;
}

/* The v2 cgroup of a socket (what cgroup_skb keys by). */
static __always_inline __u64 ceems_sock_v2_id(const struct sock* sk) {
  if (!bpf_core_field_exists(sk->sk_cgrp_data.cgroup)) return 0;
  return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

static __always_inline void ceems_retransmit(const struct sock* sk, const struct sk_buff* skb) {
  __u64 cid = ceems_sock_v2_id(sk);
  if (cid == 0) return;
  __u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (fam != CEEMS_AF_INET && fam != CEEMS_AF_INET6) return;
  ceems_net_add(&retrans_accumulator, cid, CEEMS_IPPROTO_TCP, fam, 1, BPF_CORE_READ(skb, len));
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tp_btf_tcp_retransmit_skb, const struct sock* sk, const struct sk_buff* skb) {
  ceems_retransmit(sk, skb);
  return 0;
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(raw_tp_tcp_retransmit_skb, const struct sock* sk, const struct sk_buff* skb) {
  ceems_retransmit(sk, skb);
  return 0;
}

/* The leading fields of the tracepoint record; its type name changed between
 * kernels (tcp_event_sk_skb, tcp_retransmit_skb) but this prefix did not. */
struct ceems_tcp_retransmit_ctx {
  __u64 common;
  const void* skbaddr;
  const void* skaddr;
};

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tracepoint_tcp_retransmit_skb(struct ceems_tcp_retransmit_ctx* ctx) {
  ceems_retransmit((const struct sock*)ctx->skaddr, (const struct sk_buff*)ctx->skbaddr);
  return 0;
}

/* ---- function hooks (fexit, kprobe) ------------------------------------ */

static __always_inline __u64 ceems_delta(__u64 cur, __u64 last) {
  /* A smaller value means the socket address was reused by a new connection. */
  return cur >= last ? cur - last : cur;
}

static __always_inline void ceems_tcp(struct sock* sk) {
  if (!sk) return;
  __u64 cid = ceems_current_cgroup_id();
  if (cid == 0) return;
  __u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (fam != CEEMS_AF_INET && fam != CEEMS_AF_INET6) return;
  struct tcp_sock* tp = (struct tcp_sock*)sk;
  struct ceems_sock_counters cur = {
      .segs_in = BPF_CORE_READ(tp, segs_in),
      .segs_out = BPF_CORE_READ(tp, segs_out),
      .total_retrans = BPF_CORE_READ(tp, total_retrans),
      .bytes_received = BPF_CORE_READ(tp, bytes_received),
      .bytes_sent = BPF_CORE_READ(tp, bytes_sent),
      .bytes_retrans = BPF_CORE_READ(tp, bytes_retrans),
  };
  __u64 key = (__u64)sk;
  struct ceems_sock_counters last = {};
  struct ceems_sock_counters* prev = bpf_map_lookup_elem(&socket_accumulator, &key);
  if (prev) last = *prev;
  bpf_map_update_elem(&socket_accumulator, &key, &cur, BPF_ANY);

  __u64 in = ceems_delta(cur.segs_in, last.segs_in);
  __u64 out = ceems_delta(cur.segs_out, last.segs_out);
  __u64 re = ceems_delta(cur.total_retrans, last.total_retrans);
  if (in > 0)
    ceems_net_add(&ingress_accumulator, cid, CEEMS_IPPROTO_TCP, fam, in,
                  ceems_delta(cur.bytes_received, last.bytes_received));
  if (out > 0)
    ceems_net_add(&egress_accumulator, cid, CEEMS_IPPROTO_TCP, fam, out,
                  ceems_delta(cur.bytes_sent, last.bytes_sent));
  if (re > 0)
    ceems_net_add(&retrans_accumulator, cid, CEEMS_IPPROTO_TCP, fam, re,
                  ceems_delta(cur.bytes_retrans, last.bytes_retrans));
}

static __always_inline void ceems_udp(void* map, __u16 fam, long ret) {
  if (ret <= 0) return;
  __u64 cid = ceems_current_cgroup_id();
  if (cid == 0) return;
  ceems_net_add(map, cid, CEEMS_IPPROTO_UDP, fam, 1, ret);
}

static __always_inline void ceems_fexit_tcp(void* ctx) {
  __u64 sk = 0;
  bpf_get_func_arg(ctx, 0, &sk);
  ceems_tcp((struct sock*)sk);
}

static __always_inline void ceems_fexit_udp(void* ctx, void* map, __u16 fam) {
  __u64 ret = 0;
  bpf_get_func_ret(ctx, &ret);
  ceems_udp(map, fam, (long)(int)ret);
}

SEC("fexit/tcp_sendmsg")
int fexit_tcp_sendmsg(__u64* ctx) {
  ceems_fexit_tcp(ctx);
  return 0;
}
SEC("fexit/tcp_recvmsg")
int fexit_tcp_recvmsg(__u64* ctx) {
  ceems_fexit_tcp(ctx);
  return 0;
}
SEC("fexit/udp_sendmsg")
int fexit_udp_sendmsg(__u64* ctx) {
  ceems_fexit_udp(ctx, &egress_accumulator, CEEMS_AF_INET);
  return 0;
}
SEC("fexit/udpv6_sendmsg")
int fexit_udpv6_sendmsg(__u64* ctx) {
  ceems_fexit_udp(ctx, &egress_accumulator, CEEMS_AF_INET6);
  return 0;
}
SEC("fexit/udp_recvmsg")
int fexit_udp_recvmsg(__u64* ctx) {
  ceems_fexit_udp(ctx, &ingress_accumulator, CEEMS_AF_INET);
  return 0;
}
SEC("fexit/udpv6_recvmsg")
int fexit_udpv6_recvmsg(__u64* ctx) {
  ceems_fexit_udp(ctx, &ingress_accumulator, CEEMS_AF_INET6);
  return 0;
}

/* Entry probes see the counters up to the previous call (spec 15 quirk);
 * tcp_cleanup_rbuf runs at the end of every receive, after the counters moved. */
SEC("kprobe/tcp_sendmsg")
int BPF_KPROBE(kprobe_tcp_sendmsg, struct sock* sk) {
  ceems_tcp(sk);
  return 0;
}
SEC("kprobe/tcp_cleanup_rbuf")
int BPF_KPROBE(kprobe_tcp_cleanup_rbuf, struct sock* sk) {
  ceems_tcp(sk);
  return 0;
}
SEC("kretprobe/udp_sendmsg")
int kretprobe_udp_sendmsg(struct pt_regs* ctx) {
  ceems_udp(&egress_accumulator, CEEMS_AF_INET, PT_REGS_RC(ctx));
  return 0;
}
SEC("kretprobe/udpv6_sendmsg")
int kretprobe_udpv6_sendmsg(struct pt_regs* ctx) {
  ceems_udp(&egress_accumulator, CEEMS_AF_INET6, PT_REGS_RC(ctx));
  return 0;
}
SEC("kretprobe/udp_recvmsg")
int kretprobe_udp_recvmsg(struct pt_regs* ctx) {
  ceems_udp(&ingress_accumulator, CEEMS_AF_INET, PT_REGS_RC(ctx));
  return 0;
}
SEC("kretprobe/udpv6_recvmsg")
int kretprobe_udpv6_recvmsg(struct pt_regs* ctx) {
  ceems_udp(&ingress_accumulator, CEEMS_AF_INET6, PT_REGS_RC(ctx));
  return 0;
}
