#include "ebpf/ebpf.h"

#include <algorithm>
#include <utility>

#include "ebpf/ebpf_collector.h"
#include "ebpf/proc_cgroups.h"
#include "ebpf/programs.h"

#ifdef CEEMS_HAVE_EBPF
#include "ebpf/libbpf_programs.h"
#endif

namespace ceems::ebpf {

namespace {
constexpr std::string_view kIoFlag = "collector.ebpf.io-metrics";
constexpr std::string_view kNetFlag = "collector.ebpf.network-metrics";
constexpr std::string_view kMountFlag = "collector.ebpf.fs-mount-point";
}  // namespace

void register_ebpf_flags(FlagSet& flags) {
  flags.add_bool(std::string(kIoFlag), "Enables collection of IO metrics using ebpf (default: disabled)");
  flags.add_bool(std::string(kNetFlag),
                 "Enables collection of network metrics using ebpf (default: disabled)");
  flags.add(
      {.name = std::string(kMountFlag),
       .kind = FlagKind::kStringList,
       .help = "File system mount points to monitor IO stats. If empty all mount points are monitored. It is "
               "strongly advised to choose appropriate mount points to reduce cardinality."});
}

bool enabled(const FlagSet& flags) { return flags.get_bool(kIoFlag) || flags.get_bool(kNetFlag); }

#ifndef CEEMS_HAVE_EBPF

Result<std::unique_ptr<UnitSubCollector>> make_collector(const FlagSet&, const HostFs&, Privileges&, Options,
                                                         log::Logger) {
  return Error(ErrorKind::kNotFound,
               "eBPF sub-collector not built into this binary (configure with -DCEEMS_EBPF=ON, needs clang, "
               "bpftool, libbpf and kernel BTF at build time)");
}

#else

namespace {

struct Loaded {
  Plan plan;
  std::unique_ptr<BpfPrograms> programs;
  bool map_caps = false;
};

// Probe, load and attach with the given capabilities raised on a privileged thread.
Result<Loaded> load_with(Privileges& privileges, const std::vector<std::string>& caps, const LoadConfig& cfg,
                         const log::Logger& logger) {
  bool memlock = false;
  Status st = privileges.run_with("ebpf memlock probe", caps, [&]() -> Status {
    memlock = memlock_limit_needed();
    return {};
  });
  std::vector<std::string> load_caps = caps;
  if (memlock) {
    logger.info("kernel does not account BPF memory to cgroups, removing the memlock limit");
    load_caps.emplace_back("cap_sys_resource");
  }
  Result<Loaded> out = Error(ErrorKind::kIo, "eBPF programs not loaded");
  st = privileges.run_with("ebpf load", load_caps, [&]() -> Status {
    if (memlock) {
      if (Status s = remove_memlock_limit(); !s.ok()) return s;
    }
    LibbpfFeatureProbe probe(logger);
    auto plan = build_plan(probe, cfg, logger);
    if (!plan) return plan.error();
    auto programs = BpfPrograms::load(cfg, *plan, logger);
    if (!programs) return programs.error();
    const bool caps_needed = !(*programs)->readable_without_capabilities();
    out = Loaded{*plan, std::move(*programs), caps_needed};
    return {};
  });
  if (!st.ok()) return st.error();
  return out;
}

}  // namespace

Result<std::unique_ptr<UnitSubCollector>> make_collector(const FlagSet& flags, const HostFs& host,
                                                         Privileges& privileges, Options opts,
                                                         log::Logger logger) {
  LoadConfig cfg;
  cfg.io = flags.get_bool(kIoFlag);
  cfg.net = flags.get_bool(kNetFlag);
  if (!cfg.io && !cfg.net)
    return Error(ErrorKind::kInvalid, "eBPF sub-collector needs IO or network metrics enabled");

  const std::string btf = host.sys("kernel/btf/vmlinux");
  if (!host.fs().exists(btf)) {
    return Error(ErrorKind::kNotFound,
                 "kernel BTF " + btf + " not found: the eBPF programs need a BTF-enabled kernel");
  }

  const bool v2 = cgroup::is_v2(opts.mode);
  cfg.use_v1 = !v2;
  if (cfg.use_v1) {
    auto content = host.fs().read_file(host.proc("cgroups"));
    if (!content) return content.error().wrap("couldn't read cgroup controllers for eBPF");
    const ProcCgroups parsed = parse_proc_cgroups(*content);
    if (parsed.truncated)
      logger.debug("more cgroup controllers than the original supports, extra ones ignored");
    cfg.v1_subsys_idx = static_cast<uint32_t>(subsystem_index(parsed, opts.active_subsystem));
  }
  if (v2) {
    cfg.cgroup2_root = host.cgroupfs_root();
  } else if (host.fs().is_dir(host.cgroup("unified"))) {
    cfg.cgroup2_root = host.cgroup("unified");
  }

  route_libbpf_messages(logger);
  std::vector<std::string> caps = {"cap_bpf", "cap_perfmon"};
  if (cfg.net) caps.emplace_back("cap_net_admin");  // cgroup_skb is a networking program type
  auto loaded = load_with(privileges, caps, cfg, logger);
  if (!loaded && std::find(caps.begin(), caps.end(), "cap_sys_admin") == caps.end()) {
    // Kernels before cap_bpf/cap_perfmon (or LSMs checking cap_sys_admin) only
    // load with cap_sys_admin: tried only when the narrow set failed.
    logger.info("eBPF load failed with narrow capabilities, retrying with cap_sys_admin",
                {{"err", loaded.error()}});
    caps.emplace_back("cap_sys_admin");
    loaded = load_with(privileges, caps, cfg, logger);
  }
  if (!loaded) return loaded.error().wrap("eBPF sub-collector unavailable");

  CollectorConfig cc;
  cc.manager = std::move(opts.manager);
  cc.hostname = std::move(opts.hostname);
  // build_plan may have dropped one of the two (logged there).
  cc.io = cfg.io && loaded->plan.vfs != Method::kNone;
  cc.net = cfg.net && loaded->plan.net != Method::kNone;
  cc.mount_filters = flags.get_list(kMountFlag);
  cc.io_base = v2 ? host.cgroupfs_root() : host.cgroup(opts.active_subsystem);
  cc.net_base = loaded->plan.net == Method::kCgroupSkb ? cfg.cgroup2_root : cc.io_base;
  cc.map_reads_need_caps = loaded->map_caps;
  logger.info("eBPF programs loaded", {{"map_reads_need_capabilities", cc.map_reads_need_caps},
                                       {"cgroup_id_source", cfg.use_v1 ? opts.active_subsystem : "unified"}});
  if (cc.net && loaded->plan.net == Method::kCgroupSkb && cfg.use_v1) {
    logger.info(
        "eBPF network metrics use cgroup v2 ids: units are matched by their path under the unified hierarchy",
        {{"unified_root", cfg.cgroup2_root.empty() ? "none" : cfg.cgroup2_root}});
  }
  return std::unique_ptr<UnitSubCollector>(std::make_unique<EbpfCollector>(
      host, privileges, std::move(cc), std::move(loaded->programs), std::move(logger)));
}

#endif

}  // namespace ceems::ebpf
