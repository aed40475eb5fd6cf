/* Map layouts shared by the BPF programs and user space (spec 15, with u64 cgroup
 * ids instead of the original's u32 truncation). Plain C, fixed-width kernel types,
 * explicit padding so both compilers agree on the layout. */
#ifndef CEEMS_EBPF_MAPS_H
#define CEEMS_EBPF_MAPS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define CEEMS_MNT_LEN 64
#define CEEMS_MAP_ENTRIES 4096

/* read_accumulator / write_accumulator */
struct ceems_rw_key {
  __u64 cid;
  __u8 mnt[CEEMS_MNT_LEN]; /* mount label, NUL-terminated unless 64 bytes long */
};

struct ceems_rw_value {
  __u64 bytes;
  __u64 calls;
  __u64 errors;
};

/* open_accumulator / create_accumulator / unlink_accumulator: key is the u64 cid */
struct ceems_call_value {
  __u64 calls;
  __u64 errors;
};

/* ingress_accumulator / egress_accumulator / retrans_accumulator */
struct ceems_net_key {
  __u64 cid;
  __u16 proto; /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
  __u16 fam;   /* AF_INET (2) or AF_INET6 (10) */
  __u32 pad;
};

struct ceems_net_value {
  __u64 packets;
  __u64 bytes;
};

#endif
