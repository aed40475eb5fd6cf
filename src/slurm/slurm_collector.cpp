#include "slurm/slurm_collector.h"

#include <chrono>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/privileges.h"
#include "gpu/gpu.h"
#include "slurm/gpu_job_map.h"
#include "slurm/job_env.h"
#include "slurm/slurm_layout.h"
#include "units/pipeline.h"

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

using SteadyTime = std::chrono::steady_clock::time_point;

// A job without GPU ordinals yet is looked at on every scrape during its first
// minute (its tasks appear after slurmstepd), then once a minute: a CPU-only
// job does not cost a walk of its cgroups on every scrape.
constexpr std::chrono::seconds kEagerScan{60};
constexpr std::chrono::seconds kRescan{60};

// What is known of one job across scrapes. A job's environment and its GPUs do
// not change, so each process is read once: only processes not scanned before
// are read on later scrapes (a job whose first scrape only saw slurmstepd gets
// its GPUs once its tasks appear).
struct JobEntry {
  GpuOrdinalScan scan;
  std::unordered_set<pid_t> scanned;
  bool from_map = false;
  bool seen = false;
  SteadyTime first_seen{};
  SteadyTime last_scan{};
};

// The Slurm ordinals the GPUs answer to after the order map, for log lines.
std::string known_gpu_ordinals(const std::vector<gpu::Device>& gpus) {
  std::string out;
  auto add = [&out](const std::string& o) {
    if (!o.empty()) out += (out.empty() ? "" : ",") + o;
  };
  for (const auto& d : gpus) {
    for (const auto& m : d.mig_instances) add(m.global_index);
    add(d.global_index);
  }
  return out;
}

class SlurmCollector final : public Collector {
 public:
  SlurmCollector(const CollectorContext& ctx, units::UnitPipeline pipeline, std::vector<gpu::Device> gpus,
                 std::string job_map_dir)
      : host_(ctx.host),
        privileges_(ctx.privileges),
        hostname_(ctx.hostname),
        logger_(ctx.logger),
        pipeline_(std::move(pipeline)),
        gpus_(std::move(gpus)),
        job_map_dir_(std::move(job_map_dir)),
        gpu_ordinals_(known_gpu_ordinals(gpus_)) {}

  Status update(MetricBatch& out) override {
    auto units = pipeline_.units();
    if (!units) return units.error();

    if (!gpus_.empty()) refresh_gpu_ordinals(*units);

    pipeline_.report(
        *units, out,
        [&] {
          if (!gpus_.empty()) emit_gpu_flags(*units, out);
        },
        logger_);
    return Status::Ok();
  }

  void stop() override { pipeline_.subs.stop(); }

  std::vector<std::string> capabilities() const override {
    std::vector<std::string> caps;
    if (!gpus_.empty() && job_map_dir_.empty()) caps = kEnvironCaps;
    for (auto& c : pipeline_.subs.capabilities()) caps.push_back(std::move(c));
    return caps;
  }

 private:
  // Jobs not seen in this scrape (ended, or left out as stale) lose their entry,
  // GPU ordinals included.
  void refresh_gpu_ordinals(std::vector<ComputeUnit>& units) {
    const SteadyTime now = std::chrono::steady_clock::now();
    for (auto& [id, e] : jobs_) e.seen = false;
    std::vector<ComputeUnit*> pending;
    for (auto& u : units) {
      JobEntry& e = jobs_[u.id];
      if (e.first_seen == SteadyTime{}) e.first_seen = now;
      e.seen = true;
      if (e.scan.done() || e.from_map) continue;
      if (now - e.first_seen >= kEagerScan && now - e.last_scan < kRescan) continue;
      pending.push_back(&u);
    }
    std::erase_if(jobs_, [](const auto& kv) { return !kv.second.seen; });
    if (pending.empty()) return;
    if (!job_map_dir_.empty()) {
      read_from_job_map(pending);
      return;
    }
    // The processes of these jobs only, unless a sub-collector had them walked already.
    if (!pipeline_.subs.needs().procs) pipeline_.discovery.walk(pending, UnitNeeds{.procs = true});
    for (ComputeUnit* u : pending) jobs_[u->id].last_scan = now;
    read_from_environ(pending);
  }

  void read_from_job_map(const std::vector<ComputeUnit*>& pending) {
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

  void read_from_environ(const std::vector<ComputeUnit*>& pending) {
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

  // Once per ordinal: the job keeps its ordinals, and so would the log line on every
  // scrape. The set is bounded because ordinals come from job environments.
  void warn_unmatched_ordinal(const std::string& ordinal, const std::string& job) {
    constexpr size_t kMaxWarned = 64;
    if (warned_ordinals_.size() >= kMaxWarned || !warned_ordinals_.insert(ordinal).second) return;
    logger_.warn("Slurm GPU ordinal matches no discovered GPU, reported with gpuuuid=\"/\"",
                 {{"ordinal", ordinal},
                  {"jobid", job},
                  {"discovered_ordinals", gpu_ordinals_},
                  {"hint", "check --collector.slurm.gpu-order-map"}});
  }

  void emit_gpu_flags(const std::vector<ComputeUnit>& units, MetricBatch& out) {
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
        if (!matched) warn_unmatched_ordinal(ordinal, u.id);
        hindex = hostname_ + "/gpu-" + ordinal;
        fam.add({"slurm", hostname_, u.uuid, ordinal, hindex, gpuuuid}, value);
      }
    }
  }

  const HostFs& host_;
  Privileges& privileges_;
  std::string hostname_;
  log::Logger logger_;
  units::UnitPipeline pipeline_;
  std::vector<gpu::Device> gpus_;
  std::string job_map_dir_;
  std::unordered_map<std::string, JobEntry> jobs_;
  std::string gpu_ordinals_;
  std::set<std::string> warned_ordinals_;
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

// Once, at start-up: the map is applied once. Without any GPU the discovery's own
// log line says why, and one line stands for all entries.
void warn_order_map_misses(const std::vector<gpu::OrderMapMiss>& misses, const std::vector<gpu::Device>& gpus,
                           const log::Logger& logger) {
  if (misses.empty()) return;
  if (gpus.empty()) {
    logger.warn("GPU order map given but no GPU was discovered, jobs get no GPU mapping",
                {{"flag", "--" + std::string(kOrderMapFlag)}});
    return;
  }
  for (const auto& m : misses) {
    logger.warn("GPU order map entry names a GPU that discovery did not find, the entry has no effect",
                {{"entry", m.entry}, {"found", m.found}});
  }
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
  auto pipeline = units::make_unit_pipeline(ctx, &slurm_layout, sopts);
  if (!pipeline) return pipeline.error();

  auto gpus = gpu::discover(gpu::discovery_options(flags), ctx.runner, ctx.logger);
  if (!order_map->empty()) warn_order_map_misses(gpu::apply_order_map(gpus, *order_map), gpus, ctx.logger);

  // The prolog creates the directory with the first GPU job, so it may not exist yet.
  std::string job_map_dir = flags.get_string(kJobMapFlag);
  if (!job_map_dir.empty()) ctx.logger.info("GPU job map from prolog files", {{"dir", job_map_dir}});
  return std::unique_ptr<Collector>(
      std::make_unique<SlurmCollector>(ctx, std::move(*pipeline), std::move(gpus), std::move(job_map_dir)));
}

}  // namespace ceems::slurm
