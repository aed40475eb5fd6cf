#include "exporter/exporter_flags.h"

#include "cgroup/mode.h"
#include "core/app.h"
#include "core/collector.h"
#include "gpu/gpu.h"
#include "http/server_flags.h"
#include "slurm/alloy_targets.h"
#include "units/sub_collector_table.h"

namespace ceems {

std::string collector_flag(std::string_view name) { return "collector." + std::string(name); }

void register_exporter_flags(FlagSet& f) {
  f.add(FlagSpec{
      .name = "web.listen-address",
      .kind = FlagKind::kStringList,
      .help = "Addresses on which to expose metrics and web interface. Repeatable for multiple addresses.",
      .defaults = {":9010"}});
  f.add(FlagSpec{.name = "web.config.file",
                 .kind = FlagKind::kString,
                 .help =
                     "Path to configuration file that can enable TLS or authentication. See: "
                     "https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
                 .defaults = {""},
                 .env = "CEEMS_EXPORTER_WEB_CONFIG_FILE"});
  f.add_string("web.telemetry-path", "Path under which to expose metrics.", "/metrics");
  f.add_string("web.targets-path", "Path under which to expose Grafana Alloy targets.", "/alloy-targets");
  f.add_bool("web.disable-exporter-metrics",
             "Exclude metrics about the exporter itself (promhttp_*, process_*, go_*).");
  f.add_int("web.max-requests", "Maximum number of parallel scrape requests. Use 0 to disable.", 40);
  f.add_bool("web.systemd-socket",
             "Use systemd socket activation listeners instead of port listeners (Linux only).");
  f.add_bool("web.debug-server", "Enable debug server (default: disabled).");
  http::register_server_limit_flags(f);
  f.add_bool("collector.disable-defaults", "Set all collectors to disabled by default.");
  f.add(FlagSpec{.name = "runtime.gomaxprocs",
                 .kind = FlagKind::kInt,
                 .help = "The target number of CPUs Go will run on (GOMAXPROCS)",
                 .defaults = {"1"},
                 .env = "GOMAXPROCS"});
  f.add_bool("security.drop-privileges",
             "Drop privileges and run as nobody when exporter is started as root.", true, true);
  f.add_string("security.run-as-user",
               "User to switch to when started as root and --security.drop-privileges is on.", "nobody",
               true);
  f.add_bool("collector.empty-hostname-label",
             "Use empty hostname in labels. Only for testing. (default is disabled)", false, true);
  app::register_logging_flags(f);
  f.add_string("path.sysfs", "sysfs mountpoint.", "/sys", true);
  f.add_string("path.procfs", "procfs mountpoint.", "/proc", true);
  f.add_string("path.cgroupfs", "cgroupfs mountpoint.", "/sys/fs/cgroup", true);

  for (const CollectorInfo& c : collector_table()) {
    f.add_bool(collector_flag(c.name),
               "Enable the " + std::string(c.name) +
                   " collector (default: " + (c.enabled_by_default ? "enabled" : "disabled") + ").",
               c.enabled_by_default);
    if (c.register_flags != nullptr) c.register_flags(f);
  }
  // Shared by the resource-manager collectors (slurm, libvirt) and the discoverer.
  cgroup::register_cgroup_flags(f);
  gpu::register_gpu_flags(f);
  units::register_sub_collector_flags(f);
  slurm::register_alloy_flags(f);
}

void apply_disable_defaults(FlagSet& f) {
  if (!f.get_bool("collector.disable-defaults")) return;
  for (const CollectorInfo& c : collector_table()) {
    std::string name = collector_flag(c.name);
    if (!f.explicitly_set(name)) f.set_bool(name, false);
  }
}

}  // namespace ceems
