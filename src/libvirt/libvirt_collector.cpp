#include "libvirt/libvirt_collector.h"

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/command_runner.h"
#include "core/privileges.h"
#include "gpu/gpu.h"
#include "libvirt/instance_xml.h"
#include "libvirt/libvirt_layout.h"
#include "units/pipeline.h"

namespace ceems::libvirt {
namespace {

using TimePoint = std::chrono::steady_clock::time_point;

constexpr std::string_view kSwapFlag = "collector.libvirt.swap-memory-metrics";
constexpr std::string_view kPsiFlag = "collector.libvirt.psi-metrics";
constexpr std::string_view kBlkioFlag = "collector.libvirt.blkio-metrics";
constexpr std::string_view kXmlDirFlag = "collector.libvirt.xml-dir";
constexpr std::string_view kRuntimeXmlDirFlag = "collector.libvirt.runtime-xml-dir";

// The whole cache is dropped this often so that GPUs attached by a flavour resize
// (same instance name, new XML) show up.
constexpr std::chrono::hours kCacheTtl{3};
// The original kept a failed lookup (uuid "") for the full TTL; it is retried
// sooner here, so that an XML that was unreadable for a moment costs minutes,
// not hours, of mislabelled metrics.
constexpr std::chrono::minutes kRetryFailed{5};

const std::vector<std::string> kXmlCaps = {"cap_dac_read_search"};

const MetricDesc kGpuFlag{"ceems_compute_unit_gpu_index_flag",
                          "A value > 0 indicates running instance using current GPU",
                          MetricType::kGauge,
                          {"manager", "hostname", "uuid", "index", "hindex", "gpuuuid"}};

struct InstanceEntry {
  std::string uuid;
  std::vector<std::string> ordinals;
  bool failed = false;
  TimePoint loaded;
  bool seen = false;
};

// The flag value of one ordinal: the share of the GPU (or MIG instance) that one
// of its vGPUs represents, and the gpuuuid label.
struct GpuShare {
  double value = 1;
  std::string gpuuuid = "/";
};

GpuShare share_of(const std::string& ordinal, const std::vector<gpu::Device>& gpus) {
  for (const gpu::Device& d : gpus) {
    for (const gpu::MigInstance& m : d.mig_instances) {
      if (m.global_index != ordinal) continue;
      double v = m.sm_fraction;
      if (d.vgpu_enabled && m.mdev_uuids.size() > 1) v /= static_cast<double>(m.mdev_uuids.size());
      return {v, d.uuid + "/" + std::to_string(m.gpu_inst_id)};
    }
    if (d.global_index == ordinal) {
      double v = 1;
      if (d.vgpu_enabled && d.mdev_uuids.size() > 1) v /= static_cast<double>(d.mdev_uuids.size());
      return {v, d.uuid + "/"};
    }
  }
  return {};
}

Result<InstanceProps> props_from(const Result<std::string>& text, const std::string& path) {
  if (!text) return text.error();
  auto props = parse_instance_xml(*text);
  if (!props) return props.error().wrap("instance XML " + path);
  return props;
}

// One instance's properties and where they came from.
struct Lookup {
  Result<InstanceProps> props = Error(ErrorKind::kIo, "not read");
  std::string path;                    // the file props (or its error) came from
  std::optional<Error> runtime_error;  // the status file could not be used: the definition was read
};

class LibvirtCollector final : public Collector {
 public:
  LibvirtCollector(const CollectorContext& ctx, units::UnitPipeline pipeline, std::vector<gpu::Device> gpus,
                   gpu::DiscoveryOptions gpu_opts, std::string xml_dir, std::string runtime_xml_dir,
                   Clock clock)
      : host_(ctx.host),
        runner_(ctx.runner),
        privileges_(ctx.privileges),
        hostname_(ctx.hostname),
        logger_(ctx.logger),
        pipeline_(std::move(pipeline)),
        gpus_(std::move(gpus)),
        gpu_opts_(std::move(gpu_opts)),
        vgpu_activated_(
            std::any_of(gpus_.begin(), gpus_.end(), [](const auto& d) { return d.vgpu_enabled; })),
        xml_dir_(std::move(xml_dir)),
        runtime_xml_dir_(std::move(runtime_xml_dir)),
        clock_(std::move(clock)),
        last_reset_(clock_()) {}

  Status update(MetricBatch& out) override {
    auto units = pipeline_.units();
    if (!units) return units.error();

    label_units(*units);

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
    std::vector<std::string> caps = kXmlCaps;
    for (auto& c : pipeline_.subs.capabilities()) {
      if (std::find(caps.begin(), caps.end(), c) == caps.end()) caps.push_back(std::move(c));
    }
    return caps;
  }

 private:
  // Sets every unit's uuid from the cache, loading the instances not cached (or
  // whose last load failed a while ago), and forgets instances that are gone.
  void label_units(std::vector<ComputeUnit>& units) {
    const TimePoint now = clock_();
    if (now - last_reset_ > kCacheTtl) {
      cache_.clear();
      last_reset_ = now;
    }
    for (auto& [id, e] : cache_) e.seen = false;
    std::vector<std::string> pending;
    std::vector<bool> retry;
    for (const auto& u : units) {
      auto it = cache_.find(u.id);
      bool stale = it != cache_.end() && it->second.failed && now - it->second.loaded >= kRetryFailed;
      if (it != cache_.end() && !stale) {
        it->second.seen = true;
        continue;
      }
      if (std::find(pending.begin(), pending.end(), u.id) != pending.end()) continue;
      pending.push_back(u.id);
      retry.push_back(stale);
    }
    if (!pending.empty()) load(pending, retry, now);
    for (auto& u : units) u.uuid = cache_[u.id].uuid;
    std::erase_if(cache_, [](const auto& kv) { return !kv.second.seen; });
  }

  void load(const std::vector<std::string>& ids, const std::vector<bool>& retry, TimePoint now) {
    if (vgpu_activated_) {
      // Once per scrape with new instances: their mdevs were created just before they started.
      if (auto st = gpu::refresh_vgpu(gpus_, gpu_opts_, runner_); !st) {
        logger_.error("Failed to update vGPU mdev information", {{"err", st.error()}});
      }
    }
    std::vector<Lookup> lookups;
    lookups.reserve(ids.size());
    // One privileged thread for all the files of this scrape; both directories
    // are root-only on most hosts.
    Status st = privileges_.run_with("libvirt_read_instance_xml", kXmlCaps, [&]() -> Status {
      for (const auto& id : ids) lookups.push_back(lookup(id));
      return Status::Ok();
    });
    if (!st) logger_.error("Failed to read instance XML files", {{"err", st.error()}});
    // run_with can fail before the reads ran.
    for (size_t i = lookups.size(); i < ids.size(); ++i) {
      Lookup& l = lookups.emplace_back();
      l.path = xml_path(ids[i]);
      l.props = Error(ErrorKind::kIo, "instance XML " + l.path + " not read");
    }

    for (size_t i = 0; i < ids.size(); ++i) {
      InstanceEntry& e = cache_[ids[i]];
      e = InstanceEntry{};
      e.seen = true;
      e.loaded = now;
      Lookup& l = lookups[i];
      Result<InstanceProps>& props = l.props;
      // Every line of this instance names it.
      const log::Logger ilog = logger_.with("instance", ids[i]);
      if (l.runtime_error && props) {
        if (l.runtime_error->kind() == ErrorKind::kNotFound) {
          ilog.debug("No runtime instance XML, read the definition", {{"err", *l.runtime_error}});
        } else {
          ilog.warn("Unusable runtime instance XML, read the definition instead",
                    {{"err", *l.runtime_error}});
        }
      }
      if (!props) {
        e.failed = true;
        const Error& err = props.error();
        // A domain without a definition file fails the same way on every retry.
        if (retry[i]) {
          ilog.debug("Failed to get instance properties", {{"err", err}});
        } else {
          ilog.error("Failed to get instance properties", {{"err", err}});
        }
        continue;
      }
      ilog.debug("Read instance properties", {{"path", l.path}, {"uuid", props->uuid}});
      e.uuid = std::move(props->uuid);
      if (!gpus_.empty()) e.ordinals = gpu_ordinals(*props, gpus_);
    }
  }

  // The running domain's status file first: it is the live definition (devices
  // hot-plugged since the start are in it, not in the persistent one), and the
  // only one on hosts where Nova keeps no file in the xml-dir. Runs privileged.
  Lookup lookup(const std::string& id) const {
    Lookup l;
    if (!runtime_xml_dir_.empty()) {
      l.path = runtime_path(id);
      l.props = props_from(host_.fs().read_file(l.path), l.path);
      if (l.props) return l;
      l.runtime_error = l.props.error();
    }
    l.path = xml_path(id);
    l.props = props_from(host_.fs().read_file(l.path), l.path);
    if (!l.props && l.runtime_error) {
      // Both say where the instance was looked for, and why neither file served.
      l.props = Error(l.props.error().kind(), l.props.error().message() + "; " + l.runtime_error->message());
    }
    return l;
  }

  std::string xml_path(const std::string& id) const { return xml_dir_ + "/" + id + ".xml"; }
  std::string runtime_path(const std::string& id) const { return runtime_xml_dir_ + "/" + id + ".xml"; }

  void emit_gpu_flags(const std::vector<ComputeUnit>& units, MetricBatch& out) const {
    MetricFamily& fam = out.family(kGpuFlag);
    for (const auto& u : units) {
      auto it = cache_.find(u.id);
      if (it == cache_.end()) continue;
      // Several vGPUs of one GPU in one instance add up, rather than repeating a series.
      std::vector<std::pair<std::string, GpuShare>> shares;
      for (const auto& ordinal : it->second.ordinals) {
        GpuShare s = share_of(ordinal, gpus_);
        auto same =
            std::find_if(shares.begin(), shares.end(), [&](const auto& p) { return p.first == ordinal; });
        if (same != shares.end()) {
          same->second.value += s.value;
        } else {
          shares.emplace_back(ordinal, std::move(s));
        }
      }
      for (const auto& [ordinal, s] : shares) {
        fam.add({"libvirt", hostname_, u.uuid, ordinal, hostname_ + "/gpu-" + ordinal, s.gpuuuid}, s.value);
      }
    }
  }

  const HostFs& host_;
  CommandRunner& runner_;
  Privileges& privileges_;
  std::string hostname_;
  log::Logger logger_;
  units::UnitPipeline pipeline_;
  std::vector<gpu::Device> gpus_;
  gpu::DiscoveryOptions gpu_opts_;
  bool vgpu_activated_;
  std::string xml_dir_;
  std::string runtime_xml_dir_;  // empty: not looked in
  Clock clock_;
  TimePoint last_reset_;
  std::unordered_map<std::string, InstanceEntry> cache_;
};

}  // namespace

void register_libvirt_flags(FlagSet& flags) {
  flags.add_bool(std::string(kSwapFlag), "Enables collection of swap memory metrics (default: disabled)");
  flags.add_bool(std::string(kBlkioFlag), "Enables collection of block IO metrics (default: disabled)");
  flags.add_bool(std::string(kPsiFlag), "Enables collection of PSI metrics (default: disabled)");
  flags.add_string(std::string(kXmlDirFlag), "Directory containing XML files of instances",
                   "/etc/libvirt/qemu",
                   /*hidden=*/true);
  flags.add_string(std::string(kRuntimeXmlDirFlag),
                   "Directory containing status XML files of running instances, read before "
                   "--collector.libvirt.xml-dir (empty: not read)",
                   "/run/libvirt/qemu",
                   /*hidden=*/true);
}

Result<std::unique_ptr<Collector>> make_libvirt_collector(const CollectorContext& ctx) {
  return make_libvirt_collector(ctx, [] { return std::chrono::steady_clock::now(); });
}

Result<std::unique_ptr<Collector>> make_libvirt_collector(const CollectorContext& ctx, Clock clock) {
  const auto& flags = ctx.flags;
  cgroup::StatsOptions sopts;
  sopts.swap = flags.get_bool(kSwapFlag);
  sopts.psi = flags.get_bool(kPsiFlag);
  sopts.blkio = flags.get_bool(kBlkioFlag);
  auto pipeline = units::make_unit_pipeline(ctx, &libvirt_layout, sopts, clock);
  if (!pipeline) return pipeline.error();

  // No order map for libvirt: guests see GPUs by bus id / mdev, not by ordinal.
  gpu::DiscoveryOptions gpu_opts = gpu::discovery_options(flags);
  auto gpus = gpu::discover(gpu_opts, ctx.runner, ctx.logger);

  std::string xml_dir = flags.get_string(kXmlDirFlag);
  std::string runtime_xml_dir = flags.get_string(kRuntimeXmlDirFlag);
  ctx.logger.info("instance XML directories", {{"dir", xml_dir}, {"runtime_dir", runtime_xml_dir}});
  return std::unique_ptr<Collector>(
      std::make_unique<LibvirtCollector>(ctx, std::move(*pipeline), std::move(gpus), std::move(gpu_opts),
                                         std::move(xml_dir), std::move(runtime_xml_dir), std::move(clock)));
}

}  // namespace ceems::libvirt
