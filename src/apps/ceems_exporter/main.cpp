// ceems_exporter: Prometheus exporter of compute-unit (job, VM) resource usage,
// node power and emissions. Start-up order matters: everything that needs the
// start-up privileges (collector probes, web config) happens before privileges
// are dropped, and no thread exists until they are.
#include <malloc.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/app.h"
#include "core/command_runner.h"
#include "core/privileges.h"
#include "exporter/build_info.h"
#include "exporter/exporter_flags.h"
#include "exporter/metrics_handler.h"
#include "exporter/scrape.h"
#include "exporter/startup_checks.h"
#include "http/server.h"
#include "http/server_flags.h"
#include "slurm/alloy_targets.h"

namespace {

constexpr const char* kProgram = "ceems_exporter";
constexpr const char* kDescription =
    "Prometheus Exporter to export compute (job, VM, pod) resource usage metrics.";

std::string node_name(const ceems::log::Logger& logger) {
  struct utsname u {};
  if (::uname(&u) != 0) {
    logger.error("Failed to get hostname");
    return {};
  }
  return u.nodename;
}

int run(int argc, char** argv) {
  using namespace ceems;
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

  std::string web_config = flags.get_string("web.config.file");
  if (!web_config.empty()) web_config = std::filesystem::absolute(web_config).string();

  const BuildInfo& b = build_info();
  logger.info("Starting ceems_exporter",
              {{"version", b.version}, {"revision", b.revision}, {"branch", b.branch}});
  logger.info("Build context", {{"compiler", b.compiler}, {"user", b.build_user}, {"date", b.build_date}});
  logger.info("Host", {{"uname", app::host_description()}});
  const uint64_t open_files = app::raise_open_files_limit();
  logger.debug("Open files limit",
               {{"soft", static_cast<int64_t>(std::min<uint64_t>(open_files, INT64_MAX))}});

  bool empty_host = flags.get_bool("collector.empty-hostname-label");
  std::string hostname = empty_host ? std::string() : node_name(logger);

  // Signals are taken synchronously by the main thread; every thread created later
  // inherits the mask, so SIGTERM never lands in a worker.
  app::StopSignals stop_signals;

  HostFs host(flags.get_string("path.procfs"), flags.get_string("path.sysfs"),
              flags.get_string("path.cgroupfs"));
  ProcessRunner runner;
  CapabilityPrivileges privileges(logger.with("component", "security"));

  std::vector<NamedCollector> collectors;
  std::vector<CapabilityNeed> cap_needs;
  bool runs_set_user_id_programs = false;
  std::vector<std::string> enabled;
  for (const CollectorInfo& c : collector_table()) {
    if (flags.get_bool(collector_flag(c.name))) enabled.emplace_back(c.name);
  }
  std::sort(enabled.begin(), enabled.end());
  logger.info("Enabled collectors");
  for (const auto& n : enabled) logger.info("collector", {{"name", n}});
  for (const CollectorInfo& c : collector_table()) {
    if (!flags.get_bool(collector_flag(c.name))) continue;
    CollectorContext ctx{
        flags, host, runner, privileges, hostname, empty_host, logger.with("collector", c.name)};
    auto created = c.create(ctx);
    if (!created) {
      logger.error("Couldn't create collector", {{"name", c.name}, {"err", created.error()}});
      return 1;
    }
    if (auto caps = (*created)->capabilities(); !caps.empty()) {
      cap_needs.push_back({std::string(c.name), std::move(caps)});
    }
    runs_set_user_id_programs = runs_set_user_id_programs || (*created)->runs_set_user_id_programs();
    collectors.push_back({std::string(c.name), std::move(*created)});
  }

  // Unlike the original, the discoverer's capabilities join the kept set (they were
  // dropped unless another collector needed the same ones).
  auto targets =
      slurm::AlloyTargets::create(flags, host, privileges, logger.with("discoverer", "alloy-targets"));
  if (!targets) {
    logger.error("Couldn't create Grafana Alloy targets discoverer", {{"err", targets.error()}});
    return 1;
  }
  if (*targets) {
    if (auto caps = (*targets)->capabilities(); !caps.empty()) {
      cap_needs.push_back({"alloy-targets discoverer", std::move(caps)});
    }
  }

  http::ServerOptions opts;
  opts.listen_addresses = flags.get_list("web.listen-address");
  opts.web_config_file = web_config;
  opts.systemd_socket = flags.get_bool("web.systemd-socket");
  opts.max_requests = static_cast<int>(flags.get_int("web.max-requests"));
  for (const auto& st : {http::check_listen_addresses(opts), http::apply_server_limit_flags(flags, opts)}) {
    if (!st) {
      logger.error("Invalid web server flag", {{"err", st.error()}});
      return 1;
    }
  }
  std::string telemetry_path = flags.get_string("web.telemetry-path");
  std::string targets_path = flags.get_string("web.targets-path");
  if (telemetry_path != "/") {
    opts.landing_page =
        http::LandingPage{kProgram,
                          kDescription,
                          "(version=" + b.version + ", branch=" + b.branch + ", revision=" + b.revision + ")",
                          {{"Metrics", telemetry_path}, {"Grafana Alloy Targets", targets_path}}};
  }
  // promhttp_metric_handler_requests_total counts what the server answers itself too.
  const MetricsHandler metrics_handler(telemetry_path);
  opts.on_error_status = metrics_handler.server_status_observer();
  // The web config (TLS keys may be root-only) is read here, before the drop.
  auto server = http::Server::create(opts, logger.with("component", "web"));
  if (!server) {
    logger.error("Invalid web configuration", {{"err", server.error()}});
    return 1;
  }

  const bool drop_wanted = flags.get_bool("security.drop-privileges");
  if (::geteuid() == 0) {
    logger.info(drop_wanted
                    ? "CEEMS Exporter is running as root user. Privileges will be dropped and process "
                      "will be run as unprivileged user"
                    : "Running as root with --no-security.drop-privileges: every privilege is kept for "
                      "the process's life");
  }
  if (drop_wanted) {
    DropOptions drop{
        flags.get_string("security.run-as-user"), std::move(cap_needs), {}, runs_set_user_id_programs};
    if (auto st = drop_privileges(drop, logger.with("component", "security")); !st) {
      logger.error("Failed to drop privileges", {{"err", st.error()}});
      return 1;
    }
  }

  auto engine = std::make_shared<ScrapeEngine>(std::move(collectors), logger,
                                               !flags.get_bool("web.disable-exporter-metrics"),
                                               metrics_handler.metrics());
  (*server)->route(telemetry_path, metrics_handler.route(engine), true);
  // Without a resource manager the targets list is empty.
  std::shared_ptr<const slurm::AlloyTargets> discoverer = std::move(*targets);
  (*server)->route(
      targets_path,
      [discoverer](const http::Request&) {
        if (!discoverer) return http::Response{200, "application/json", "[]\n"};
        auto r = discoverer->serve();
        return http::Response{r.status, r.content_type, r.body};
      },
      true);

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
