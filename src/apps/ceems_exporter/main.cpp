// ceems_exporter: Prometheus exporter of compute-unit (job, VM) resource usage,
// node power and emissions. Start-up order matters: everything that needs the
// start-up privileges (collector probes, web config) happens before privileges
// are dropped, and no thread exists until they are.
#include <malloc.h>

#include "core/app.h"
#include "core/command_runner.h"
#include "core/privileges.h"
#include "exporter/build_info.h"
#include "exporter/exporter_flags.h"
#include "exporter/metrics_handler.h"
#include "exporter/startup.h"
#include "exporter/startup_checks.h"
#include "http/tls.h"

namespace {

constexpr const char* kProgram = "ceems_exporter";
constexpr const char* kDescription =
    "Prometheus Exporter to export compute (job, VM, pod) resource usage metrics.";

int run(int argc, char** argv) {
  using namespace ceems;
  http::init_tls_library();
  // glibc gives every thread that allocates its own arena and keeps each arena's
  // high-water mark: with HTTP workers and the per-scrape readers that multiplied
  // the resident size of big scrapes (75 MB instead of 47 MB at 5,000 jobs).
  ::mallopt(M_ARENA_MAX, 2);
  FlagSet flags(kProgram, kDescription);
  register_exporter_flags(flags);
  if (auto code = app::parse_command_line(flags, argc, argv, version_text(kProgram))) return *code;
  log::Logger logger;
  apply_disable_defaults(flags);
  const FlagFindings findings = check_exporter_flags(flags);
  for (const auto& e : findings.errors) logger.error("Invalid flag", {{"err", e}});
  if (!findings.errors.empty()) return 1;
  for (const auto& w : findings.warnings) logger.warn("Flag has no effect", {{"flag", w}});
  for (const auto& n : findings.notes) logger.info("Flag accepted for compatibility", {{"flag", n}});

  log_startup(kProgram, logger);
  const bool empty_host = flags.get_bool("collector.empty-hostname-label");
  const std::string hostname = hostname_label(flags, logger);

  // Signals are taken synchronously by the main thread; every thread created later
  // inherits the mask, so SIGTERM never lands in a worker.
  app::StopSignals stop_signals;

  HostFs host(flags.get_string("path.procfs"), flags.get_string("path.sysfs"),
              flags.get_string("path.cgroupfs"));
  ProcessRunner runner;
  CapabilityPrivileges privileges(logger.with("component", "security"));
  auto created = create_collectors({flags, host, runner, privileges, hostname, empty_host, logger});
  if (!created) return 1;

  auto opts = web_server_options(flags, kProgram, kDescription, logger);
  if (!opts) return 1;
  const std::string telemetry_path = flags.get_string("web.telemetry-path");
  // promhttp_metric_handler_requests_total counts what the server answers itself too.
  const MetricsHandler metrics_handler(telemetry_path);
  opts->on_error_status = metrics_handler.server_status_observer();
  // The web config (TLS keys may be root-only) is read here, before the drop.
  auto server = http::Server::create(*opts, logger.with("component", "web"));
  if (!server) {
    logger.error("Invalid web configuration", {{"err", server.error()}});
    return 1;
  }
  if (!drop_startup_privileges(flags, std::move(created->capability_needs),
                               created->runs_set_user_id_programs, logger)) {
    return 1;
  }

  auto engine = std::make_shared<ScrapeEngine>(std::move(created->collectors), logger,
                                               !flags.get_bool("web.disable-exporter-metrics"),
                                               metrics_handler.metrics());
  (*server)->route(telemetry_path, metrics_handler.route(engine), true);
  (*server)->route(flags.get_string("web.targets-path"), alloy_targets_handler(created->alloy_targets), true);
  if (auto st = (*server)->start(); !st) {
    logger.error("Failed to start server", {{"err", st.error()}});
    return 1;
  }

  logger.info("Shutting down", {{"signal", stop_signals.wait()}});
  (*server)->stop(std::chrono::seconds(5));
  engine->stop();
  logger.info("Stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return ceems::app::guarded_main(kProgram, &run, argc, argv); }
