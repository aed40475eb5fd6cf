/* VFS IO accounting per cgroup (spec 15 "VFS"). One object carries every attach
 * variant; user space enables (autoloads) only the variant its feature probe chose:
 *   fexit      vfs_read/vfs_write/... (BTF trampolines)
 *   kprobe     vfs_read/... entry + kretprobe
 *   tp_btf     sys_exit (syscall level: read/write/pread/pwrite/readv/writev/
 *              preadv(2)/pwritev(2), open/openat/openat2/creat, mkdir(at),
 *              unlink(at)/rmdir)
 *   raw_tp     sys_exit (same as tp_btf, untyped context)
 *   tracepoint raw_syscalls/sys_enter + sys_exit (needs tracefs) */
#include "ceems_common.bpf.h"

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(map_flags, BPF_F_NO_COMMON_LRU);
  __uint(max_entries, CEEMS_MAP_ENTRIES);
  __type(key, struct ceems_rw_key);
  __type(value, struct ceems_rw_value);
} read_accumulator SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(map_flags, BPF_F_NO_COMMON_LRU);
  __uint(max_entries, CEEMS_MAP_ENTRIES);
  __type(key, struct ceems_rw_key);
  __type(value, struct ceems_rw_value);
} write_accumulator SEC(".maps");

#define CEEMS_CALL_MAP(name)                \
  struct {                                  \
    __uint(type, BPF_MAP_TYPE_LRU_HASH);    \
    __uint(map_flags, BPF_F_NO_COMMON_LRU); \
    __uint(max_entries, CEEMS_MAP_ENTRIES); \
    __type(key, __u64);                     \
    __type(value, struct ceems_call_value); \
  } name SEC(".maps")

CEEMS_CALL_MAP(open_accumulator);
CEEMS_CALL_MAP(create_accumulator);
CEEMS_CALL_MAP(unlink_accumulator);

/* Entry-to-exit hand-over of the kprobe and classic tracepoint variants: the
 * file (kprobe) or fd (tracepoint) of a pending read/write, per thread. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, __u64);
} rw_stash SEC(".maps");

/* The mask is done in BPF assembly: the compiler drops a plain "& 63" after a
 * range check, and the verifier then sees an unbounded stack offset. */
static __always_inline __u32 ceems_bound(__u32 off) {
  asm volatile("%0 &= 63" : "+r"(off));
  return off;
}

/* Mount label (spec 15): the mount-point basenames along the mount chain,
 * outermost first, e.g. "/dev/shm". Returns 0 when empty (root fs, pipes,
 * sockets): such events are not counted. */
static __always_inline int ceems_mount_label(struct file* file, __u8 out[CEEMS_MNT_LEN]) {
  struct vfsmount* vmnt = BPF_CORE_READ(file, f_path.mnt);
  if (!vmnt) return 0;
  struct mount* mnt = (struct mount*)((void*)vmnt - bpf_core_field_offset(struct mount, mnt));
  const unsigned char* names[8] = {};
  struct dentry* prev = NULL;
  int n = 0;
#pragma unroll
  for (int i = 0; i < 8; i++) {
    struct dentry* mp = BPF_CORE_READ(mnt, mnt_mountpoint);
    if (!mp || mp == prev || mp == BPF_CORE_READ(mp, d_parent)) break;
    names[i] = BPF_CORE_READ(mp, d_name.name);
    n = i + 1;
    prev = mp;
    mnt = BPF_CORE_READ(mnt, mnt_parent);
  }
  if (n == 0) return 0;
  char buf[2 * CEEMS_MNT_LEN] = {};
  __u32 off = 0;
#pragma unroll
  for (int j = 7; j >= 0; j--) {
    if (j >= n || off >= CEEMS_MNT_LEN - 1) continue;
    buf[ceems_bound(off)] = '/';
    off++;
    long len = bpf_probe_read_kernel_str(&buf[ceems_bound(off)], CEEMS_MNT_LEN, names[j]);
    if (len > 1) off += len - 1;
  }
  __builtin_memcpy(out, buf, CEEMS_MNT_LEN);
  return 1;
}

static __always_inline void ceems_account_rw(void* map, struct file* file, long ret) {
  if (!file) return;
  __u64 cid = ceems_current_cgroup_id();
  if (cid <= 1) return;
  struct ceems_rw_key key = {};
  key.cid = cid;
  if (!ceems_mount_label(file, key.mnt)) return;
  struct ceems_rw_value init = {.calls = 1};
  if (ret >= 0)
    init.bytes = ret;
  else
    init.errors = 1;
  CEEMS_ADD_OR_INSERT(map, &key, init, CEEMS_ADD_RW);
}

static __always_inline void ceems_account_call(void* map, int failed) {
  __u64 cid = ceems_current_cgroup_id();
  if (cid <= 1) return;
  struct ceems_call_value init = {.calls = 1, .errors = failed ? 1 : 0};
  CEEMS_ADD_OR_INSERT(map, &cid, init, CEEMS_ADD_CALL);
}

/* vfs_* return int, except vfs_mkdir which returns a dentry (ERR_PTR) since 6.15:
 * both read as a failure here. */
static __always_inline int ceems_failed(__u64 ret) {
  long v = (long)ret;
  if (v < 0 && v >= -4095) return 1;
  return (ret >> 32) == 0 && (int)ret < 0;
}

/* ---- fexit ------------------------------------------------------------ */

SEC("fexit/vfs_read")
int BPF_PROG(fexit_vfs_read, struct file* file, char* buf, size_t count, loff_t* pos, ssize_t ret) {
  ceems_account_rw(&read_accumulator, file, ret);
  return 0;
}

SEC("fexit/vfs_write")
int BPF_PROG(fexit_vfs_write, struct file* file, const char* buf, size_t count, loff_t* pos, ssize_t ret) {
  ceems_account_rw(&write_accumulator, file, ret);
  return 0;
}

/* Signatures that vary between kernels read the first argument and the return
 * value through helpers, which do not depend on the argument count. */
static __always_inline void ceems_fexit_rw(void* ctx, void* map) {
  __u64 file = 0, ret = 0;
  bpf_get_func_arg(ctx, 0, &file);
  bpf_get_func_ret(ctx, &ret);
  ceems_account_rw(map, (struct file*)file, (long)ret);
}

static __always_inline void ceems_fexit_call(void* ctx, void* map) {
  __u64 ret = 0;
  bpf_get_func_ret(ctx, &ret);
  ceems_account_call(map, ceems_failed(ret));
}

SEC("fexit/vfs_readv")
int fexit_vfs_readv(__u64* ctx) {
  ceems_fexit_rw(ctx, &read_accumulator);
  return 0;
}
SEC("fexit/vfs_writev")
int fexit_vfs_writev(__u64* ctx) {
  ceems_fexit_rw(ctx, &write_accumulator);
  return 0;
}
SEC("fexit/vfs_open")
int fexit_vfs_open(__u64* ctx) {
  ceems_fexit_call(ctx, &open_accumulator);
  return 0;
}
SEC("fexit/vfs_create")
int fexit_vfs_create(__u64* ctx) {
  ceems_fexit_call(ctx, &create_accumulator);
  return 0;
}
SEC("fexit/vfs_mkdir")
int fexit_vfs_mkdir(__u64* ctx) {
  ceems_fexit_call(ctx, &create_accumulator);
  return 0;
}
SEC("fexit/vfs_unlink")
int fexit_vfs_unlink(__u64* ctx) {
  ceems_fexit_call(ctx, &unlink_accumulator);
  return 0;
}
SEC("fexit/vfs_rmdir")
int fexit_vfs_rmdir(__u64* ctx) {
  ceems_fexit_call(ctx, &unlink_accumulator);
  return 0;
}

/* ---- kprobe / kretprobe ----------------------------------------------- */

static __always_inline void ceems_stash(__u64 value) {
  __u64 id = bpf_get_current_pid_tgid();
  bpf_map_update_elem(&rw_stash, &id, &value, BPF_ANY);
}

static __always_inline int ceems_unstash(__u64* value) {
  __u64 id = bpf_get_current_pid_tgid();
  __u64* v = bpf_map_lookup_elem(&rw_stash, &id);
  if (!v) return 0;
  *value = *v;
  bpf_map_delete_elem(&rw_stash, &id);
  return 1;
}

static __always_inline void ceems_kret_rw(struct pt_regs* ctx, void* map) {
  __u64 file = 0;
  if (ceems_unstash(&file)) ceems_account_rw(map, (struct file*)file, (long)PT_REGS_RC(ctx));
}

SEC("kprobe/vfs_read")
int BPF_KPROBE(kprobe_vfs_read, struct file* file) {
  ceems_stash((__u64)file);
  return 0;
}
SEC("kretprobe/vfs_read")
int kretprobe_vfs_read(struct pt_regs* ctx) {
  ceems_kret_rw(ctx, &read_accumulator);
  return 0;
}
SEC("kprobe/vfs_write")
int BPF_KPROBE(kprobe_vfs_write, struct file* file) {
  ceems_stash((__u64)file);
  return 0;
}
SEC("kretprobe/vfs_write")
int kretprobe_vfs_write(struct pt_regs* ctx) {
  ceems_kret_rw(ctx, &write_accumulator);
  return 0;
}
SEC("kprobe/vfs_readv")
int BPF_KPROBE(kprobe_vfs_readv, struct file* file) {
  ceems_stash((__u64)file);
  return 0;
}
SEC("kretprobe/vfs_readv")
int kretprobe_vfs_readv(struct pt_regs* ctx) {
  ceems_kret_rw(ctx, &read_accumulator);
  return 0;
}
SEC("kprobe/vfs_writev")
int BPF_KPROBE(kprobe_vfs_writev, struct file* file) {
  ceems_stash((__u64)file);
  return 0;
}
SEC("kretprobe/vfs_writev")
int kretprobe_vfs_writev(struct pt_regs* ctx) {
  ceems_kret_rw(ctx, &write_accumulator);
  return 0;
}

#define CEEMS_KRET_CALL(fn, map)                             \
  SEC("kretprobe/" #fn)                                      \
  int kretprobe_##fn(struct pt_regs* ctx) {                  \
    ceems_account_call(&map, ceems_failed(PT_REGS_RC(ctx))); \
    return 0;                                                \
  }

CEEMS_KRET_CALL(vfs_open, open_accumulator)
CEEMS_KRET_CALL(vfs_create, create_accumulator)
CEEMS_KRET_CALL(vfs_mkdir, create_accumulator)
CEEMS_KRET_CALL(vfs_unlink, unlink_accumulator)
CEEMS_KRET_CALL(vfs_rmdir, unlink_accumulator)

/* ---- syscall level (tp_btf, raw_tp, classic tracepoint) ---------------- */

enum ceems_sys_kind { SYS_NONE, SYS_READ, SYS_WRITE, SYS_OPEN, SYS_CREATE, SYS_OPEN_CREATE, SYS_UNLINK };

static __always_inline int ceems_sys_kind(long nr) {
  switch (nr) {
#if defined(__TARGET_ARCH_x86)
    case 0:
    case 17:
    case 19:
    case 295:
    case 327:
      return SYS_READ; /* read pread64 readv preadv preadv2 */
    case 1:
    case 18:
    case 20:
    case 296:
    case 328:
      return SYS_WRITE; /* write pwrite64 writev pwritev pwritev2 */
    case 2:
    case 257:
    case 437:
      return SYS_OPEN; /* open openat openat2 */
    case 85:
      return SYS_OPEN_CREATE; /* creat */
    case 83:
    case 258:
      return SYS_CREATE; /* mkdir mkdirat */
    case 84:
    case 87:
    case 263:
      return SYS_UNLINK; /* rmdir unlink unlinkat */
#elif defined(__TARGET_ARCH_arm64)
    case 63:
    case 65:
    case 67:
    case 69:
    case 286:
      return SYS_READ;
    case 64:
    case 66:
    case 68:
    case 70:
    case 287:
      return SYS_WRITE;
    case 56:
    case 437:
      return SYS_OPEN;
    case 34:
      return SYS_CREATE;
    case 35:
      return SYS_UNLINK;
#else
#error "syscall numbers are only known for x86 and arm64"
#endif
    default:
      return SYS_NONE;
  }
}

static __always_inline struct file* ceems_fd_file(__u64 fd) {
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  struct fdtable* fdt = BPF_CORE_READ(task, files, fdt);
  if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds)) return NULL;
  struct file** fds = BPF_CORE_READ(fdt, fd);
  struct file* file = NULL;
  bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
  return file;
}

static __always_inline void ceems_sys_exit(int kind, long ret, __u64 fd) {
  switch (kind) {
    case SYS_READ:
      ceems_account_rw(&read_accumulator, ceems_fd_file(fd), ret);
      break;
    case SYS_WRITE:
      ceems_account_rw(&write_accumulator, ceems_fd_file(fd), ret);
      break;
    case SYS_OPEN:
      ceems_account_call(&open_accumulator, ret < 0);
      break;
    case SYS_OPEN_CREATE:
      ceems_account_call(&open_accumulator, ret < 0);
      ceems_account_call(&create_accumulator, ret < 0);
      break;
    case SYS_CREATE:
      ceems_account_call(&create_accumulator, ret < 0);
      break;
    case SYS_UNLINK:
      ceems_account_call(&unlink_accumulator, ret < 0);
      break;
    default:
      break;
  }
}

#if defined(__TARGET_ARCH_x86)
#define CEEMS_SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#else
/* arm64's struct pt_regs, only the field read here. A CO-RE flavor (libbpf drops the
 * ___ suffix when matching it to the kernel's struct pt_regs), so that it also builds
 * against a vmlinux.h from another architecture, whose struct pt_regs has no syscallno. */
struct pt_regs___ceems_arm64 {
  int syscallno;
} __attribute__((preserve_access_index));
#define CEEMS_SYSCALL_NR(regs) BPF_CORE_READ((struct pt_regs___ceems_arm64*)(regs), syscallno)
#endif

static __always_inline void ceems_sys_exit_regs(struct pt_regs* regs, long ret) {
  int kind = ceems_sys_kind(CEEMS_SYSCALL_NR(regs));
  if (kind == SYS_NONE) return;
  __u64 fd = 0;
  if (kind == SYS_READ || kind == SYS_WRITE) fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
  ceems_sys_exit(kind, ret, fd);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tp_btf_sys_exit, struct pt_regs* regs, long ret) {
  ceems_sys_exit_regs(regs, ret);
  return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_tp_sys_exit, struct pt_regs* regs, long ret) {
  ceems_sys_exit_regs(regs, ret);
  return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int tracepoint_sys_enter(struct trace_event_raw_sys_enter* ctx) {
  int kind = ceems_sys_kind(ctx->id);
  if (kind == SYS_READ || kind == SYS_WRITE) ceems_stash(ctx->args[0]);
  return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tracepoint_sys_exit(struct trace_event_raw_sys_exit* ctx) {
  int kind = ceems_sys_kind(ctx->id);
  if (kind == SYS_NONE) return 0;
  __u64 fd = 0;
  if ((kind == SYS_READ || kind == SYS_WRITE) && !ceems_unstash(&fd)) return 0;
  ceems_sys_exit(kind, ctx->ret, fd);
  return 0;
}
