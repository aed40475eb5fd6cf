/* arm64 kernel types that a vmlinux.h dumped from another architecture's BTF (an x86_64
 * build host's /sys/kernel/btf/vmlinux when cross-building) does not have. Included after
 * vmlinux.h only in that case (CEEMS_VMLINUX_FOREIGN, set by src/ebpf/CMakeLists.txt); a
 * vmlinux.h from an arm64 kernel already defines them.
 *
 * Why a foreign vmlinux.h is otherwise good enough: every kernel struct the programs read
 * (task_struct, file, sock, trace_event_raw_sys_exit, ...) is marked preserve_access_index,
 * so each field access is compiled as a CO-RE relocation by field name, and libbpf rewrites
 * the offset against the running kernel's own BTF when it loads the object. Layouts that
 * differ between architectures or kernel versions therefore do not matter at build time.
 * What must exist is every type the sources or libbpf's macros name, and those below are
 * named only on arm64. */
#ifndef CEEMS_EBPF_VMLINUX_ARM64_H
#define CEEMS_EBPF_VMLINUX_ARM64_H

#ifndef __VMLINUX_H__
#error "include vmlinux.h first"
#endif

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* The register file that libbpf's PT_REGS_PARM*() and PT_REGS_RC() read on arm64 (the
 * uapi view of struct pt_regs, which starts with it); kprobe contexts are this type. */
struct user_pt_regs {
  __u64 regs[31];
  __u64 sp;
  __u64 pc;
  __u64 pstate;
};

#pragma clang attribute pop

#endif
