/* Helpers shared by the VFS and network BPF objects. */
#ifndef CEEMS_EBPF_COMMON_BPF_H
#define CEEMS_EBPF_COMMON_BPF_H

/* vmlinux.h must come first: the libbpf headers use its kernel types. */
// clang-format off
#include "vmlinux.h"
#if defined(CEEMS_VMLINUX_FOREIGN) && defined(__TARGET_ARCH_arm64)
#include "ceems_vmlinux_arm64.h"
#endif
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
// clang-format on

#include "ceems_maps.h"

#define CEEMS_EEXIST 17

/* Set by user space before load: 0 on cgroup v2 hosts (the default-hierarchy id
 * of the current task), else 1 and the index of the active v1 subsystem in
 * /proc/cgroups, whose css gives the cgroup id. */
const volatile __u32 use_v1 = 0;
const volatile __u32 v1_subsys_idx = 0;

/* The cgroup id of the current task: the inode number of its cgroup directory in
 * the hierarchy the exporter walks. 0 when unknown. */
static __always_inline __u64 ceems_current_cgroup_id(void) {
  if (!use_v1) return bpf_get_current_cgroup_id();
  __u32 idx = v1_subsys_idx;
  if (idx >= bpf_core_enum_value(enum cgroup_subsys_id, CGROUP_SUBSYS_COUNT)) return 0;
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct css_set* cgroups = BPF_CORE_READ(task, cgroups);
  if (!cgroups) return 0;
  struct cgroup_subsys_state* css = NULL;
  bpf_probe_read_kernel(&css, sizeof(css), &cgroups->subsys[idx & 31]);
  if (!css) return 0;
  return BPF_CORE_READ(css, cgroup, kn, id);
}

/* Existing entries get atomic adds; a missing one is inserted with no-exist
 * semantics, and a lost insert race falls back to the add. */
#define CEEMS_ADD_OR_INSERT(map, key, init, ADD)                                       \
  do {                                                                                 \
    typeof(init)* cur__ = bpf_map_lookup_elem(map, key);                               \
    if (cur__) {                                                                       \
      ADD(cur__, (&(init)));                                                           \
    } else if (bpf_map_update_elem(map, key, &(init), BPF_NOEXIST) == -CEEMS_EEXIST) { \
      cur__ = bpf_map_lookup_elem(map, key);                                           \
      if (cur__) ADD(cur__, (&(init)));                                                \
    }                                                                                  \
  } while (0)

#define CEEMS_ADD_RW(dst, src)                           \
  do {                                                   \
    __sync_fetch_and_add(&(dst)->bytes, (src)->bytes);   \
    __sync_fetch_and_add(&(dst)->calls, (src)->calls);   \
    __sync_fetch_and_add(&(dst)->errors, (src)->errors); \
  } while (0)

#define CEEMS_ADD_CALL(dst, src)                         \
  do {                                                   \
    __sync_fetch_and_add(&(dst)->calls, (src)->calls);   \
    __sync_fetch_and_add(&(dst)->errors, (src)->errors); \
  } while (0)

#define CEEMS_ADD_NET(dst, src)                            \
  do {                                                     \
    __sync_fetch_and_add(&(dst)->packets, (src)->packets); \
    __sync_fetch_and_add(&(dst)->bytes, (src)->bytes);     \
  } while (0)

char LICENSE[] SEC("license") = "GPL";

#endif
