// redfish_proxy: reverse proxy that relays the Redfish collector's requests from
// compute nodes to their BMCs, run on a node that can reach the BMC network.
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "core/app.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/privileges.h"
#include "exporter/build_info.h"
#include "http/client.h"
#include "http/server.h"
#include "http/server_flags.h"
#include "http/tls.h"
#include "redfish_proxy/config.h"
#include "redfish_proxy/proxy.h"

namespace {

constexpr const char* kProgram = "redfish_proxy";
constexpr const char* kDescription = "A Reverse proxy to Redfish API server.";
// Go panics on a flag parse error, which exits with status 2.
constexpr int kFlagErrorStatus = 2;
// A relayed request holds a handler thread for up to the backend timeout; sized for a
// few hundred collectors querying at once. Threads start on demand and end when idle.
constexpr size_t kWorkerThreads = 128;

void register_flags(ceems::FlagSet& f) {
  using ceems::FlagKind;
  using ceems::FlagSpec;
  f.add(FlagSpec{.name = "web.listen-address",
                 .kind = FlagKind::kStringList,
                 .help = "Addresses on which to expose metrics and web interface.",
                 .defaults = {":5000"}});
  f.add_string("web.config.file",
               "Path to configuration file that can enable TLS or authentication. See: "
               "https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md",
               "");
  f.add(FlagSpec{.name = "config.file",
                 .kind = FlagKind::kString,
                 .help = "Configuration file containing a list of nodes and their BMC addresses.",
                 .defaults = {""},
                 .env = "REDFISH_PROXY_CONFIG_FILE"});
  f.add(FlagSpec{.name = "runtime.gomaxprocs",
                 .kind = FlagKind::kInt,
                 .help = "The target number of CPUs Go will run on (GOMAXPROCS)",
                 .defaults = {"1"},
                 .env = "GOMAXPROCS"});
  f.add_bool("web.debug-server", "Enable debug server (default: disabled).");
  f.add_bool("web.systemd-socket",
             "Use systemd socket activation listeners instead of port listeners (Linux only).");
  ceems::http::register_server_limit_flags(f);
  ceems::app::register_logging_flags(f);
}

std::string limit_text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

int run(int argc, char** argv) {
  using namespace ceems;
  http::init_tls_library();
  FlagSet flags(kProgram, kDescription);
  register_flags(flags);
  if (auto code = app::parse_command_line(flags, argc, argv, version_text(kProgram), kFlagErrorStatus)) {
    return *code;
  }
  log::Logger logger;

  const BuildInfo& b = build_info();
  app::raise_open_files_limit();
  struct rlimit fds {};
  ::getrlimit(RLIMIT_NOFILE, &fds);
  logger.info("Starting redfish_proxy",
              {{"version", b.version}, {"revision", b.revision}, {"branch", b.branch}});
  logger.info(
      "Operational information",
      {{"build_context", "compiler=" + b.compiler + ", user=" + b.build_user + ", date=" + b.build_date},
       {"host_details", app::host_description()},
       {"fd_limits", "(soft=" + limit_text(fds.rlim_cur) + ", hard=" + limit_text(fds.rlim_max) + ")"}});

  redfish_proxy::ProxyConfig config;
  std::string config_file = flags.get_string("config.file");
  if (!config_file.empty()) {
    config_file = std::filesystem::absolute(config_file).string();
    auto loaded = redfish_proxy::load_proxy_config(config_file);
    if (!loaded) {
      logger.error("Failed to parse Redfish proxy config file", {{"err", loaded.error()}});
      return 1;
    }
    config = std::move(*loaded);
  }
  if (config.targets.empty() && config.allowed_hosts.empty()) {
    logger.warn(
        "No targets and no allowed_hosts configured: any client that reaches the proxy can have it send "
        "Redfish requests to any http(s) URL given in X-Redfish-Url; list the BMCs under "
        "redfish_config.targets or their networks under redfish_config.web.allowed_hosts to restrict it");
  }
  if (flags.get_bool("web.debug-server")) {
    logger.warn("Flag has no effect",
                {{"flag", "--web.debug-server has no effect: this implementation has no debug server"}});
  }
  if (const int64_t procs = flags.get_int("runtime.gomaxprocs"); procs < 0) {
    logger.error("Invalid flag",
                 {{"err", "--runtime.gomaxprocs=" + std::to_string(procs) + ": must be 0 or more"}});
    return 1;
  }

  std::string web_config = flags.get_string("web.config.file");
  if (!web_config.empty()) web_config = std::filesystem::absolute(web_config).string();

  // Signals are taken synchronously by the main thread; every thread created later
  // inherits the mask, so SIGTERM never lands in a worker.
  app::StopSignals stop_signals;

  redfish_proxy::ProxyOptions proxy_options;
  proxy_options.config = config;
  auto proxy = redfish_proxy::Proxy::create(std::move(proxy_options), http::make_http_client(),
                                            logger.with("component", "proxy"));
  if (!proxy) {
    logger.error("Failed to parse Redfish proxy config file", {{"err", proxy.error()}});
    return 1;
  }
  logger.info("Redfish proxy configuration", {{"targets", static_cast<int64_t>(config.targets.size())},
                                              {"host_ips", static_cast<int64_t>((*proxy)->table().size())},
                                              {"insecure_skip_verify", config.insecure_skip_verify}});

  http::ServerOptions opts;
  opts.listen_addresses = flags.get_list("web.listen-address");
  opts.web_config_file = web_config;
  opts.systemd_socket = flags.get_bool("web.systemd-socket");
  opts.max_requests = 0;
  opts.worker_threads = kWorkerThreads;
  for (const auto& st : {http::check_listen_addresses(opts), http::apply_server_limit_flags(flags, opts)}) {
    if (!st) {
      logger.error("Invalid web server flag", {{"err", st.error()}});
      return 1;
    }
  }
  auto server = http::Server::create(opts, logger.with("component", "web"));
  if (!server) {
    logger.error("Invalid web configuration", {{"err", server.error()}});
    return 1;
  }
  // The proxy needs no capability once its sockets and web config are open.
  if (auto st = confine_process({}, logger.with("component", "security")); !st) {
    logger.error("Failed to confine the process", {{"err", st.error()}});
    return 1;
  }
  std::shared_ptr<redfish_proxy::Proxy> shared_proxy = std::move(*proxy);
  (*server)->route_prefix(
      "/", [shared_proxy](const http::Request& req) { return shared_proxy->handle(req); }, false);

  if (auto st = (*server)->start(); !st) {
    logger.error("Failed to start server", {{"err", st.error()}});
    return 1;
  }

  logger.info("Shutting down", {{"signal", stop_signals.wait()}});
  (*server)->stop(std::chrono::seconds(5));
  logger.info("Server exiting");
  logger.info("See you next time!!");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return ceems::app::guarded_main(kProgram, &run, argc, argv); }
