#include "ebpf/libbpf_programs.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string_view>
#include <thread>

#include "ceems_net.skel.h"
#include "ceems_vfs.skel.h"
#include "ebpf/bpf/ceems_maps.h"
#include "ebpf/libbpf_maps.h"

namespace ceems::ebpf {
namespace {

// ---- libbpf messages ------------------------------------------------------

std::mutex g_print_mu;
log::Logger* g_print_logger = nullptr;

__attribute__((format(printf, 2, 0))) int libbpf_print(enum libbpf_print_level level, const char* format,
                                                       va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0) return n;
  // Verifier logs run to many kilobytes; the tail says why a load failed.
  std::string msg(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(msg.data(), msg.size(), format, args);
  msg.resize(static_cast<size_t>(n));
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  const std::lock_guard lock(g_print_mu);
  if (g_print_logger != nullptr) g_print_logger->debug("libbpf", {{"msg", msg}});
  return n;
}

// ---- program sets ---------------------------------------------------------

struct ProgSet {
  std::vector<std::string> required;
  std::vector<std::string> optional;  // kernel functions that may be absent or inlined
};

ProgSet vfs_programs(Method m) {
  switch (m) {
    case Method::kFentry:
      return {{"fexit_vfs_read", "fexit_vfs_write", "fexit_vfs_open"},
              {"fexit_vfs_readv", "fexit_vfs_writev", "fexit_vfs_create", "fexit_vfs_mkdir",
               "fexit_vfs_unlink", "fexit_vfs_rmdir"}};
    case Method::kKprobe:
      return {{"kprobe_vfs_read", "kretprobe_vfs_read", "kprobe_vfs_write", "kretprobe_vfs_write",
               "kretprobe_vfs_open"},
              {"kprobe_vfs_readv", "kretprobe_vfs_readv", "kprobe_vfs_writev", "kretprobe_vfs_writev",
               "kretprobe_vfs_create", "kretprobe_vfs_mkdir", "kretprobe_vfs_unlink", "kretprobe_vfs_rmdir"}};
    case Method::kTpBtf:
      return {{"tp_btf_sys_exit"}, {}};
    case Method::kRawTp:
      return {{"raw_tp_sys_exit"}, {}};
    case Method::kTracepoint:
      return {{"tracepoint_sys_enter", "tracepoint_sys_exit"}, {}};
    default:
      return {};
  }
}

ProgSet net_programs(Method m) {
  switch (m) {
    case Method::kFentry:
      return {{"fexit_tcp_sendmsg", "fexit_tcp_recvmsg"},
              {"fexit_udp_sendmsg", "fexit_udpv6_sendmsg", "fexit_udp_recvmsg", "fexit_udpv6_recvmsg"}};
    case Method::kKprobe:
      return {{"kprobe_tcp_sendmsg", "kprobe_tcp_cleanup_rbuf"},
              {"kretprobe_udp_sendmsg", "kretprobe_udpv6_sendmsg", "kretprobe_udp_recvmsg",
               "kretprobe_udpv6_recvmsg"}};
    case Method::kCgroupSkb:
      return {{"cgroup_skb_ingress", "cgroup_skb_egress"}, {}};
    default:
      return {};
  }
}

ProgSet retrans_programs(Method m) {
  switch (m) {
    case Method::kTpBtf:
      return {{"tp_btf_tcp_retransmit_skb"}, {}};
    case Method::kRawTp:
      return {{"raw_tp_tcp_retransmit_skb"}, {}};
    case Method::kTracepoint:
      return {{"tracepoint_tcp_retransmit_skb"}, {}};
    default:
      return {};
  }
}

bpf_prog_type prog_type_of(Method m) {
  switch (m) {
    case Method::kFentry:
    case Method::kTpBtf:
      return BPF_PROG_TYPE_TRACING;
    case Method::kKprobe:
      return BPF_PROG_TYPE_KPROBE;
    case Method::kRawTp:
      return BPF_PROG_TYPE_RAW_TRACEPOINT;
    case Method::kTracepoint:
      return BPF_PROG_TYPE_TRACEPOINT;
    case Method::kCgroupSkb:
      return BPF_PROG_TYPE_CGROUP_SKB;
    default:
      return BPF_PROG_TYPE_UNSPEC;
  }
}

// ---- skeleton handling ----------------------------------------------------

template <typename Skel>
struct Ops;
template <>
struct Ops<ceems_vfs> {
  static ceems_vfs* open() { return ceems_vfs__open(); }
  static int load(ceems_vfs* s) { return ceems_vfs__load(s); }
  static void destroy(ceems_vfs* s) { ceems_vfs__destroy(s); }
};
template <>
struct Ops<ceems_net> {
  static ceems_net* open() { return ceems_net__open(); }
  static int load(ceems_net* s) { return ceems_net__load(s); }
  static void destroy(ceems_net* s) { ceems_net__destroy(s); }
};

// The kernel function a fexit program hooks, when BTF lacks it the program is skipped.
bool kernel_has_function(const btf* vmlinux, std::string_view prog) {
  constexpr std::string_view kFexit = "fexit_";
  if (prog.substr(0, kFexit.size()) != kFexit) return true;
  if (vmlinux == nullptr) return false;
  const std::string fn(prog.substr(kFexit.size()));
  return btf__find_by_name_kind(vmlinux, fn.c_str(), BTF_KIND_FUNC) >= 0;
}

// Opens the skeleton with only `wanted` autoloaded, the configuration written.
template <typename Skel>
Result<Skel*> open_and_load(const LoadConfig& cfg, const std::vector<std::string>& wanted,
                            std::string_view what) {
  Skel* skel = Ops<Skel>::open();
  if (skel == nullptr)
    return Error(ErrorKind::kIo,
                 "unable to open the " + std::string(what) + " BPF object: " + errno_text(errno));
  skel->rodata->use_v1 = cfg.use_v1 ? 1 : 0;
  skel->rodata->v1_subsys_idx = cfg.v1_subsys_idx;
  bpf_program* p = nullptr;
  bpf_object__for_each_program(p, skel->obj) {
    const std::string name = bpf_program__name(p);
    bool want = false;
    for (const auto& w : wanted) want = want || w == name;
    bpf_program__set_autoload(p, want);
  }
  if (const int err = Ops<Skel>::load(skel); err != 0) {
    Ops<Skel>::destroy(skel);
    const ErrorKind kind = (err == -EPERM || err == -EACCES) ? ErrorKind::kPermissionDenied : ErrorKind::kIo;
    return Error(kind, "unable to load the " + std::string(what) + " BPF programs: " + errno_text(err));
  }
  return skel;
}

Result<bpf_link*> attach(bpf_object* obj, const std::string& name, int cgroup_fd) {
  bpf_program* p = bpf_object__find_program_by_name(obj, name.c_str());
  if (p == nullptr) return Error(ErrorKind::kNotFound, "BPF program " + name + " not in object");
  bpf_link* link = nullptr;
  if (bpf_program__type(p) == BPF_PROG_TYPE_CGROUP_SKB) {
    if (cgroup_fd < 0) return Error(ErrorKind::kNotFound, "no cgroup v2 hierarchy to attach " + name + " to");
    link = bpf_program__attach_cgroup(p, cgroup_fd);
  } else {
    link = bpf_program__attach(p);
  }
  if (link == nullptr) {
    const int err = errno;
    return Error(err == EPERM || err == EACCES ? ErrorKind::kPermissionDenied : ErrorKind::kIo,
                 "unable to attach BPF program " + name + ": " + errno_text(err));
  }
  return link;
}

int open_cgroup_root(const LoadConfig& cfg) {
  if (cfg.cgroup2_root.empty()) return -1;
  return ::open(cfg.cgroup2_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

// Loads and attaches the required programs of one candidate, then undoes it all.
template <typename Skel>
bool try_candidate(const LoadConfig& cfg, const ProgSet& set, Method m, std::string_view what, int cgroup_fd,
                   const log::Logger& logger) {
  if (set.required.empty()) return false;
  // libbpf probes the tracing type with an fentry program, which fails where
  // only fentry is refused (tp_btf shares the type): the real load decides there.
  const bpf_prog_type type = prog_type_of(m);
  if (type != BPF_PROG_TYPE_TRACING && libbpf_probe_bpf_prog_type(type, nullptr) <= 0) {
    logger.debug("eBPF program type not supported", {{"hook", what}, {"method", method_name(m)}});
    return false;
  }
  auto skel = open_and_load<Skel>(cfg, set.required, what);
  if (!skel) {
    logger.debug("eBPF probe load failed",
                 {{"hook", what}, {"method", method_name(m)}, {"err", skel.error()}});
    return false;
  }
  bool ok = true;
  std::vector<bpf_link*> links;
  for (const auto& name : set.required) {
    auto link = attach((*skel)->obj, name, cgroup_fd);
    if (!link) {
      logger.debug("eBPF probe attach failed",
                   {{"hook", what}, {"method", method_name(m)}, {"err", link.error()}});
      ok = false;
      break;
    }
    links.push_back(*link);
  }
  for (bpf_link* l : links) bpf_link__destroy(l);
  Ops<Skel>::destroy(*skel);
  return ok;
}

}  // namespace

void route_libbpf_messages(const log::Logger& logger) {
  const std::lock_guard lock(g_print_mu);
  static log::Logger stored;
  stored = logger;
  g_print_logger = &stored;
  libbpf_set_print(libbpf_print);
  // libbpf_set_memlock_rlim is not exported by Debian's libbpf 1.1, so libbpf's
  // own bump (done only without memcg accounting, errors ignored) stays on; the
  // explicit removal in make_collector runs first and reports failures.
}

bool memlock_limit_needed() {
  // bpf_ktime_get_coarse_ns arrived in the same release as memcg accounting of
  // BPF memory; libbpf uses the same probe.
  return libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_ktime_get_coarse_ns, nullptr) <= 0;
}

Status remove_memlock_limit() {
  const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  if (setrlimit(RLIMIT_MEMLOCK, &unlimited) != 0) {
    return Error::from_errno(errno, "unable to remove the memlock limit for eBPF");
  }
  return {};
}

Features LibbpfFeatureProbe::probe(const LoadConfig& cfg) {
  Features f;
  const int cg = cfg.net ? open_cgroup_root(cfg) : -1;
  if (cfg.io) {
    f.vfs_fentry =
        try_candidate<ceems_vfs>(cfg, vfs_programs(Method::kFentry), Method::kFentry, "vfs", cg, logger_);
    f.vfs_kprobe =
        try_candidate<ceems_vfs>(cfg, vfs_programs(Method::kKprobe), Method::kKprobe, "vfs", cg, logger_);
    f.vfs_tp_btf =
        try_candidate<ceems_vfs>(cfg, vfs_programs(Method::kTpBtf), Method::kTpBtf, "vfs", cg, logger_);
    f.vfs_raw_tp =
        try_candidate<ceems_vfs>(cfg, vfs_programs(Method::kRawTp), Method::kRawTp, "vfs", cg, logger_);
    f.vfs_tracepoint = try_candidate<ceems_vfs>(cfg, vfs_programs(Method::kTracepoint), Method::kTracepoint,
                                                "vfs", cg, logger_);
  }
  if (cfg.net) {
    f.net_fentry =
        try_candidate<ceems_net>(cfg, net_programs(Method::kFentry), Method::kFentry, "net", cg, logger_);
    f.net_kprobe =
        try_candidate<ceems_net>(cfg, net_programs(Method::kKprobe), Method::kKprobe, "net", cg, logger_);
    f.net_cgroup_skb = try_candidate<ceems_net>(cfg, net_programs(Method::kCgroupSkb), Method::kCgroupSkb,
                                                "net", cg, logger_);
    f.retrans_tp_btf = try_candidate<ceems_net>(cfg, retrans_programs(Method::kTpBtf), Method::kTpBtf,
                                                "retrans", cg, logger_);
    f.retrans_raw_tp = try_candidate<ceems_net>(cfg, retrans_programs(Method::kRawTp), Method::kRawTp,
                                                "retrans", cg, logger_);
    f.retrans_tracepoint = try_candidate<ceems_net>(cfg, retrans_programs(Method::kTracepoint),
                                                    Method::kTracepoint, "retrans", cg, logger_);
  }
  if (cg >= 0) ::close(cg);
  return f;
}

Result<std::unique_ptr<BpfPrograms>> BpfPrograms::load(const LoadConfig& cfg, const Plan& plan,
                                                       log::Logger logger) {
  std::unique_ptr<BpfPrograms> self(new BpfPrograms(std::move(logger)));
  btf* vmlinux = btf__load_vmlinux_btf();
  const auto wanted = [&](const std::vector<ProgSet>& sets) {
    std::vector<std::string> names;
    for (const auto& s : sets) {
      names.insert(names.end(), s.required.begin(), s.required.end());
      for (const auto& o : s.optional) {
        if (kernel_has_function(vmlinux, o)) {
          names.push_back(o);
        } else {
          self->logger_.warn("eBPF program skipped: kernel function not found", {{"program", o}});
        }
      }
    }
    return names;
  };
  const auto attach_all = [&](bpf_object* obj, const std::vector<ProgSet>& sets) -> Status {
    for (const auto& s : sets) {
      for (const auto& name : s.required) {
        auto link = attach(obj, name, self->cgroup_fd_);
        if (!link) return link.error();
        self->links_.push_back(*link);
      }
      for (const auto& name : s.optional) {
        if (!kernel_has_function(vmlinux, name)) continue;
        auto link = attach(obj, name, self->cgroup_fd_);
        if (!link) {
          self->logger_.warn("eBPF program not attached", {{"program", name}, {"err", link.error()}});
          continue;
        }
        self->links_.push_back(*link);
      }
    }
    return {};
  };

  Status st;
  if (cfg.io && plan.vfs != Method::kNone) {
    const std::vector<ProgSet> sets = {vfs_programs(plan.vfs)};
    auto skel = open_and_load<ceems_vfs>(cfg, wanted(sets), "VFS");
    if (!skel) {
      st = skel.error();
    } else {
      self->vfs_ = *skel;
      st = attach_all(self->vfs_->obj, sets);
    }
  }
  if (st.ok() && cfg.net && plan.net != Method::kNone) {
    self->cgroup_fd_ = plan.net == Method::kCgroupSkb ? open_cgroup_root(cfg) : -1;
    const std::vector<ProgSet> sets = {net_programs(plan.net), retrans_programs(plan.retrans)};
    auto skel = open_and_load<ceems_net>(cfg, wanted(sets), "network");
    if (!skel) {
      st = skel.error();
    } else {
      self->net_ = *skel;
      st = attach_all(self->net_->obj, sets);
    }
  }
  btf__free(vmlinux);
  if (!st.ok()) return st.error();
  return self;
}

bool BpfPrograms::readable_without_capabilities() const {
  bpf_map* map = nullptr;
  if (vfs_ != nullptr) map = vfs_->maps.open_accumulator;
  if (net_ != nullptr) map = net_->maps.egress_accumulator;
  if (map == nullptr) return true;
  const int fd = bpf_map__fd(map);
  bool ok = false;
  // Capabilities are per thread: a thread with an empty effective set stands in
  // for the process after the privilege drop.
  std::thread worker([&] {
    cap_t caps = cap_get_proc();
    if (caps == nullptr) return;
    const bool dropped = cap_clear_flag(caps, CAP_EFFECTIVE) == 0 && cap_set_proc(caps) == 0;
    cap_free(caps);
    if (!dropped) return;
    uint64_t key = 0;
    ceems_net_key net_key{};
    void* k = net_ != nullptr ? static_cast<void*>(&net_key) : static_cast<void*>(&key);
    ok = bpf_map_get_next_key(fd, nullptr, k) == 0 || errno == ENOENT;
  });
  worker.join();
  return ok;
}

BpfPrograms::~BpfPrograms() { close(); }

void BpfPrograms::close() {
  for (bpf_link* l : links_) bpf_link__destroy(l);
  links_.clear();
  if (vfs_ != nullptr) ceems_vfs__destroy(vfs_);
  if (net_ != nullptr) ceems_net__destroy(net_);
  vfs_ = nullptr;
  net_ = nullptr;
  if (cgroup_fd_ >= 0) ::close(cgroup_fd_);
  cgroup_fd_ = -1;
}

Result<MapSnapshot> BpfPrograms::read(const std::vector<uint64_t>& forget_io,
                                      const std::vector<uint64_t>& forget_net) {
  MapSnapshot snap;
  if (vfs_ != nullptr) {
    for (const Status& s : {read_rw(vfs_->maps.read_accumulator, forget_io, snap.read),
                            read_rw(vfs_->maps.write_accumulator, forget_io, snap.write),
                            read_calls(vfs_->maps.open_accumulator, forget_io, snap.open),
                            read_calls(vfs_->maps.create_accumulator, forget_io, snap.create),
                            read_calls(vfs_->maps.unlink_accumulator, forget_io, snap.unlink)}) {
      if (!s.ok()) return s.error();
    }
  }
  if (net_ != nullptr) {
    for (const Status& s : {read_net(net_->maps.ingress_accumulator, forget_net, snap.ingress),
                            read_net(net_->maps.egress_accumulator, forget_net, snap.egress),
                            read_net(net_->maps.retrans_accumulator, forget_net, snap.retrans)}) {
      if (!s.ok()) return s.error();
    }
  }
  return snap;
}

}  // namespace ceems::ebpf
