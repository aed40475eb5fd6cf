#include "slurm/slurm_collector.h"

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cgroup/manager.h"
#include "cgroup/stats.h"
#include "cgroup/sub_collector_factory.h"
#include "cgroup/sub_collectors.h"
#include "core/privileges.h"
#include "gpu/gpu.h"
#include "slurm/gpu_job_map.h"
#include "slurm/job_env.h"

namespace ceems::slurm {
namespace {

constexpr std::string_view kSwapFlag = "collector.slurm.swap-memory-metrics";
constexpr std::string_view kSwapAlias = "collector.slurm.swap.memory.metrics";
constexpr std::string_view kPsiFlag = "collector.slurm.psi-metrics";
constexpr std::string_view kPsiAlias = "collector.slurm.psi.metrics";
constexpr std::string_view kOrderMapFlag = "collector.slurm.gpu-order-map";
constexpr std::string_view kJobMapFlag = "collector.slurm.gpu-job-map-path";

const std::vector<std::string> kEnvironCaps = {"cap_sys_ptrace", "cap_dac_read_search"};

const MetricDesc kGpuFlag{"ceems_compute_unit_gpu_index_flag",
                          "A value > 0 indicates the job using current GPU",
                          MetricType::kGauge,
                          {"manager", "hostname", "uuid", "index", "hindex", "gpuuuid"}};

// What is known of one job across scrapes. A job's environment and its GPUs do
// not change, so each process is read once: only processes not scanned before
// are read on later scrapes (a job whose first scrape only saw slurmstepd gets
// its GPUs once its tasks appear, and a CPU-only job costs nothing afterwards).
struct JobEntry {
  GpuOrdinalScan scan;
  std::unordered_set<pid_t> scanned;
  bool from_map = false;
  bool seen = false;
};

class SlurmCollector final : public Collector {
 public:
  SlurmCollector(const CollectorContext& ctx, cgroup::Manager manager, std::unique_ptr<cgroup::Stats> stats,
                 std::vector<gpu::Device> gpus, std::string job_map_dir, cgroup::SubCollectors subs)
      : host_(ctx.host),
        privileges_(ctx.privileges),
        hostname_(ctx.hostname),
        logger_(ctx.logger),
        manager_(std::move(manager)),
        stats_(std::move(stats)),
        gpus_(std::move(gpus)),
        job_map_dir_(std::move(job_map_dir)),
        subs_(std::move(subs)) {}

  Status update(MetricBatch& out) override {
    auto units = manager_.discover();
    if (!units) return units.error().wrap("failed to discover cgroups");

    if (!gpus_.empty()) refresh_gpu_ordinals(*units);

    subs_.update(
        *units, out,
        [&] {
          stats_->collect(*units, out);
          if (!gpus_.empty()) emit_gpu_flags(*units, out);
        },
        logger_);
    return Status::Ok();
  }

  void stop() override { subs_.stop(); }

  std::vector<std::string> capabilities() const override {
    std::vector<std::string> caps;
    if (!gpus_.empty() && job_map_dir_.empty()) caps = kEnvironCaps;
    for (auto& c : subs_.capabilities()) caps.push_back(std::move(c));
    return caps;
  }

 private:
  void refresh_gpu_ordinals(const std::vector<cgroup::ComputeUnit>& units) {
    for (auto& [id, e] : jobs_) e.seen = false;
    std::vector<const cgroup::ComputeUnit*> pending;
    for (const auto& u : units) {
      JobEntry& e = jobs_[u.id];
      e.seen = true;
      if (!e.scan.done() && !e.from_map) pending.push_back(&u);
    }
    std::erase_if(jobs_, [](const auto& kv) { return !kv.second.seen; });
    if (pending.empty()) return;
    if (!job_map_dir_.empty()) {
      read_from_job_map(pending);
    } else {
      read_from_environ(pending);
    }
  }

  void read_from_job_map(const std::vector<const cgroup::ComputeUnit*>& pending) {
    auto map = read_gpu_job_map(host_.fs(), job_map_dir_);
    if (!map) {
      if (map.error().kind() == ErrorKind::kNotFound) {
        logger_.debug("No GPU job map yet", {{"err", map.error()}});
      } else {
        logger_.error("Failed to read GPU job map", {{"err", map.error()}});
      }
      return;
    }
    for (const auto& name : map->skipped) {
      logger_.debug("Ignoring malformed GPU job map entry", {{"dir", job_map_dir_}, {"file", name}});
    }
    for (const auto* u : pending) {
      auto it = map->by_job.find(u->id);
      if (it == map->by_job.end()) continue;
      JobEntry& e = jobs_[u->id];
      e.scan.job_gpus = it->second;
      e.from_map = true;
    }
  }

  void read_from_environ(const std::vector<const cgroup::ComputeUnit*>& pending) {
    // One privileged thread per scrape for all new processes.
    Status st = privileges_.run_with("slurm_read_procs", kEnvironCaps, [&]() -> Status {
      for (const auto* u : pending) {
        JobEntry& e = jobs_[u->id];
        for (pid_t pid : u->procs) {
          if (e.scan.done()) break;
          if (!e.scanned.insert(pid).second) continue;
          auto env = host_.fs().read_file(host_.proc(std::to_string(pid) + "/environ"), 1 << 20);
          if (!env) continue;  // exited, or not ours to read
          scan_environ(*env, u->id, e.scan);
        }
        if (e.scan.ordinals().empty()) {
          logger_.debug("Failed to get GPU ordinals for job", {{"jobid", u->id}});
        }
      }
      return Status::Ok();
    });
    if (!st) logger_.error("Failed to read job environments", {{"err", st.error()}});
  }

  void emit_gpu_flags(const std::vector<cgroup::ComputeUnit>& units, MetricBatch& out) const {
    MetricFamily& fam = out.family(kGpuFlag);
    std::string hindex;
    std::string gpuuuid;
    for (const auto& u : units) {
      auto it = jobs_.find(u.id);
      if (it == jobs_.end()) continue;
      for (const auto& ordinal : it->second.scan.ordinals()) {
        double value = 1;
        gpuuuid = "/";
        bool matched = false;
        for (const auto& dev : gpus_) {
          for (const auto& mig : dev.mig_instances) {
            if (mig.global_index == ordinal) {
              gpuuuid = dev.uuid + "/" + std::to_string(mig.gpu_inst_id);
              value = mig.sm_fraction;
              matched = true;
              break;
            }
          }
          if (matched) break;
          if (dev.global_index == ordinal) {
            gpuuuid = dev.uuid + "/";
            matched = true;
            break;
          }
        }
        hindex = hostname_ + "/gpu-" + ordinal;
        fam.add({"slurm", hostname_, u.uuid, ordinal, hindex, gpuuuid}, value);
      }
    }
  }

  const HostFs& host_;
  Privileges& privileges_;
  std::string hostname_;
  log::Logger logger_;
  cgroup::Manager manager_;
  std::unique_ptr<cgroup::Stats> stats_;
  std::vector<gpu::Device> gpus_;
  std::string job_map_dir_;
  cgroup::SubCollectors subs_;
  std::unordered_map<std::string, JobEntry> jobs_;
};

void add_alias(FlagSet& flags, std::string_view name, std::string_view target, const std::string& help) {
  FlagSpec alias;
  alias.name = std::string(name);
  alias.kind = FlagKind::kBool;
  alias.help = help;
  alias.defaults = {"false"};
  alias.hidden = true;
  alias.alias_of = std::string(target);
  flags.add(std::move(alias));
}

}  // namespace

void register_slurm_flags(FlagSet& flags) {
  const std::string swap_help = "Enables collection of swap memory metrics (default: disabled)";
  const std::string psi_help = "Enables collection of PSI metrics (default: disabled)";
  flags.add_bool(std::string(kSwapFlag), swap_help);
  add_alias(flags, kSwapAlias, kSwapFlag, swap_help);
  flags.add_bool(std::string(kPsiFlag), psi_help);
  add_alias(flags, kPsiAlias, kPsiFlag, psi_help);
  flags.add(FlagSpec{
      .name = std::string(kOrderMapFlag),
      .kind = FlagKind::kString,
      .help = "GPU order mapping between SLURM and NVIDIA SMI/ROCm SMI tools. \nIt should be of format "
              "<slurm_gpu_index>: <nvidia_or_rocm_smi_index>[.<mig_gpu_instance_id>] delimited by \",\".",
      .defaults = {""},
      .placeholder = "0:1,1:0.3,2:0.4,3:0.5,4:0.6",
  });
  flags.add_string(std::string(kJobMapFlag),
                   "Directory where a Slurm prolog writes one file per GPU ordinal holding the job ID. When "
                   "set, it replaces reading job environments from /proc (no extra privileges needed).");
}

Result<std::unique_ptr<Collector>> make_slurm_collector(const CollectorContext& ctx) {
  const auto& flags = ctx.flags;
  if (flags.explicitly_set(kSwapAlias)) {
    ctx.logger.warn(
        "flag --collector.slurm.swap.memory.metrics has been deprecated. Use "
        "--collector.slurm.swap-memory-metrics instead");
  }
  if (flags.explicitly_set(kPsiAlias)) {
    ctx.logger.warn(
        "flag --collector.slurm.psi.metrics has been deprecated. Use --collector.slurm.psi-metrics instead");
  }
  // A malformed map is a start-up error, before anything else is probed.
  auto order_map = gpu::parse_order_map(flags.get_string(kOrderMapFlag));
  if (!order_map) return order_map.error();

  cgroup::StatsOptions sopts;
  sopts.swap = flags.get_bool(kSwapFlag);
  sopts.psi = flags.get_bool(kPsiFlag);
  auto pipeline = cgroup::make_unit_pipeline(ctx, cgroup::ManagerKind::kSlurm, sopts);
  if (!pipeline) return pipeline.error();

  auto gpus = gpu::discover(gpu::discovery_options(flags), ctx.runner, ctx.logger);
  if (!order_map->empty()) gpu::apply_order_map(gpus, *order_map);

  // The prolog creates the directory with the first GPU job, so it may not exist yet.
  std::string job_map_dir = flags.get_string(kJobMapFlag);
  if (!job_map_dir.empty()) ctx.logger.info("GPU job map from prolog files", {{"dir", job_map_dir}});
  return std::unique_ptr<Collector>(
      std::make_unique<SlurmCollector>(ctx, std::move(pipeline->manager), std::move(pipeline->stats),
                                       std::move(gpus), std::move(job_map_dir), std::move(pipeline->subs)));
}

}  // namespace ceems::slurm
