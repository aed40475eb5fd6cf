#include "exporter/startup.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "core/app.h"
#include "exporter/build_info.h"
#include "exporter/exporter_flags.h"
#include "http/server_flags.h"

namespace ceems {

void log_startup(std::string_view program, const log::Logger& logger) {
  const BuildInfo& b = build_info();
  logger.info("Starting " + std::string(program),
              {{"version", b.version}, {"revision", b.revision}, {"branch", b.branch}});
  logger.info("Build context", {{"compiler", b.compiler}, {"user", b.build_user}, {"date", b.build_date}});
  logger.info("Host", {{"uname", app::host_description()}});
  const uint64_t open_files = app::raise_open_files_limit();
  logger.debug("Open files limit",
               {{"soft", static_cast<int64_t>(std::min<uint64_t>(open_files, INT64_MAX))}});
}

std::string hostname_label(const FlagSet& flags, const log::Logger& logger) {
  if (flags.get_bool("collector.empty-hostname-label")) return {};
  struct utsname u {};
  if (::uname(&u) != 0) {
    logger.error("Failed to get hostname");
    return {};
  }
  return u.nodename;
}

std::optional<CreatedCollectors> create_collectors(const CollectorContext& base) {
  const log::Logger& logger = base.logger;
  std::vector<std::string> enabled;
  for (const CollectorInfo& c : collector_table()) {
    if (base.flags.get_bool(collector_flag(c.name))) enabled.emplace_back(c.name);
  }
  std::sort(enabled.begin(), enabled.end());
  logger.info("Enabled collectors");
  for (const auto& n : enabled) logger.info("collector", {{"name", n}});

  CreatedCollectors out;
  for (const CollectorInfo& c : collector_table()) {
    if (!base.flags.get_bool(collector_flag(c.name))) continue;
    CollectorContext ctx{base.flags,
                         base.host,
                         base.runner,
                         base.privileges,
                         base.hostname,
                         base.empty_hostname_label,
                         logger.with("collector", c.name)};
    auto created = c.create(ctx);
    if (!created) {
      logger.error("Couldn't create collector", {{"name", c.name}, {"err", created.error()}});
      return std::nullopt;
    }
    if (auto caps = (*created)->capabilities(); !caps.empty()) {
      out.capability_needs.push_back({std::string(c.name), std::move(caps)});
    }
    out.runs_set_user_id_programs = out.runs_set_user_id_programs || (*created)->runs_set_user_id_programs();
    out.collectors.push_back({std::string(c.name), std::move(*created)});
  }

  auto targets = slurm::AlloyTargets::create(base.flags, base.host, base.privileges,
                                             logger.with("discoverer", "alloy-targets"));
  if (!targets) {
    logger.error("Couldn't create Grafana Alloy targets discoverer", {{"err", targets.error()}});
    return std::nullopt;
  }
  if (*targets) {
    if (auto caps = (*targets)->capabilities(); !caps.empty()) {
      out.capability_needs.push_back({"alloy-targets discoverer", std::move(caps)});
    }
  }
  out.alloy_targets = std::move(*targets);
  return out;
}

std::optional<http::ServerOptions> web_server_options(const FlagSet& flags, std::string_view program,
                                                      std::string_view description,
                                                      const log::Logger& logger) {
  http::ServerOptions opts;
  opts.listen_addresses = flags.get_list("web.listen-address");
  opts.web_config_file = flags.get_string("web.config.file");
  // Absolute, so that a reload after a chdir still finds it.
  if (!opts.web_config_file.empty())
    opts.web_config_file = std::filesystem::absolute(opts.web_config_file).string();
  opts.systemd_socket = flags.get_bool("web.systemd-socket");
  opts.max_requests = static_cast<int>(flags.get_int("web.max-requests"));
  for (const auto& st : {http::check_listen_addresses(opts), http::apply_server_limit_flags(flags, opts)}) {
    if (!st) {
      logger.error("Invalid web server flag", {{"err", st.error()}});
      return std::nullopt;
    }
  }
  const std::string telemetry_path = flags.get_string("web.telemetry-path");
  if (telemetry_path != "/") {
    const BuildInfo& b = build_info();
    opts.landing_page = http::LandingPage{
        std::string(program),
        std::string(description),
        "(version=" + b.version + ", branch=" + b.branch + ", revision=" + b.revision + ")",
        {{"Metrics", telemetry_path}, {"Grafana Alloy Targets", flags.get_string("web.targets-path")}}};
  }
  return opts;
}

bool drop_startup_privileges(const FlagSet& flags, std::vector<CapabilityNeed> needs,
                             bool runs_set_user_id_programs, const log::Logger& logger) {
  const bool drop_wanted = flags.get_bool("security.drop-privileges");
  if (::geteuid() == 0) {
    logger.info(drop_wanted
                    ? "CEEMS Exporter is running as root user. Privileges will be dropped and process "
                      "will be run as unprivileged user"
                    : "Running as root with --no-security.drop-privileges: every privilege is kept for "
                      "the process's life");
  }
  if (!drop_wanted) return true;
  DropOptions drop{flags.get_string("security.run-as-user"), std::move(needs), {}, runs_set_user_id_programs};
  if (auto st = drop_privileges(drop, logger.with("component", "security")); !st) {
    logger.error("Failed to drop privileges", {{"err", st.error()}});
    return false;
  }
  return true;
}

http::Handler alloy_targets_handler(std::shared_ptr<const slurm::AlloyTargets> discoverer) {
  return [discoverer = std::move(discoverer)](const http::Request&) {
    if (!discoverer) return http::Response{200, "application/json", "[]\n"};
    auto r = discoverer->serve();
    return http::Response{r.status, r.content_type, r.body};
  };
}

}  // namespace ceems
