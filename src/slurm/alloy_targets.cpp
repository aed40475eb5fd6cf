#include "slurm/alloy_targets.h"

#include <unistd.h>

#include "core/process_env.h"
#include "slurm/slurm_layout.h"

namespace ceems::slurm {
namespace {

const std::vector<std::string> kEnvironCaps = {"cap_sys_ptrace", "cap_dac_read_search"};

// Unit ids and uuids are job ids, but the document must stay valid JSON whatever
// a cgroup name holds.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_target(std::string& out, std::string_view target, pid_t pid, std::string_view service) {
  if (out.size() > 1) out.push_back(',');
  out.append("{\"targets\":[");
  append_json_string(out, target);
  out.append("],\"labels\":{\"__process_pid__\":\"");
  out.append(std::to_string(pid));
  out.append("\",\"service_name\":");
  append_json_string(out, service);
  out.append("}}");
}

}  // namespace

void register_alloy_flags(FlagSet& flags) {
  flags.add(FlagSpec{.name = "discoverer.alloy-targets.resource-manager",
                     .kind = FlagKind::kEnum,
                     .help = "Discover Grafana Alloy targets from this resource manager [supported: slurm].",
                     .defaults = {""},
                     .choices = {"slurm"}});
  flags.add(FlagSpec{
      .name = "discoverer.alloy-targets.env-var",
      .kind = FlagKind::kStringList,
      .help = "Enable continuous profiling by Grafana Alloy only on the processes having any of these "
              "environment variables."});
  flags.add_bool("discoverer.alloy-targets.self-profiler",
                 "Enable continuous profiling by Grafana Alloy on current process (default: false).");
}

std::string targets_json(const std::vector<ComputeUnit>& units, pid_t self_pid) {
  std::string out = "[";
  for (const auto& u : units) {
    for (pid_t pid : u.procs) append_target(out, u.id, pid, u.uuid);
  }
  if (self_pid > 0) append_target(out, "__internal_ceems_exporter", self_pid, "__internal_ceems_exporter");
  // The reference encodes an empty-but-present list as null.
  if (out.size() == 1) return "null\n";
  out.append("]\n");
  return out;
}

Result<std::unique_ptr<AlloyTargets>> AlloyTargets::create(const FlagSet& flags, const HostFs& host,
                                                           Privileges& privileges, log::Logger logger) {
  if (flags.get_string("discoverer.alloy-targets.resource-manager").empty())
    return std::unique_ptr<AlloyTargets>();
  cgroup::Hierarchy h = cgroup::hierarchy_from_flags(flags, host);
  units::Discovery discovery(host, slurm_layout(h.mode), h, logger);
  logger.info("Grafana Alloy targets discoverer", {{"manager", discovery.description()}});
  return std::make_unique<AlloyTargets>(
      host, privileges, std::move(discovery), flags.get_list("discoverer.alloy-targets.env-var"),
      flags.get_bool("discoverer.alloy-targets.self-profiler"), std::move(logger));
}

AlloyTargets::AlloyTargets(const HostFs& host, Privileges& privileges, units::Discovery discovery,
                           std::vector<std::string> env_vars, bool self_profiler, log::Logger logger)
    : host_(host),
      privileges_(privileges),
      discovery_(std::move(discovery)),
      env_vars_(std::move(env_vars)),
      self_profiler_(self_profiler),
      logger_(std::move(logger)) {}

std::vector<std::string> AlloyTargets::capabilities() const {
  return env_vars_.empty() ? std::vector<std::string>{} : kEnvironCaps;
}

Status AlloyTargets::filter(std::vector<ComputeUnit>& units) const {
  return privileges_.run_with("alloy_targets_read_procs", kEnvironCaps, [&]() -> Status {
    for (auto& u : units) {
      std::erase_if(u.procs, [&](pid_t pid) {
        std::string dir = host_.proc(std::to_string(pid));
        auto cmdline = host_.fs().read_file(dir + "/cmdline", 1 << 16);
        if (!cmdline) return true;
        std::string joined = join_cmdline(*cmdline);
        if (joined.empty() || is_slurm_helper(joined)) return true;
        auto env = host_.fs().read_file(dir + "/environ", 1 << 20);
        return !env || !has_env_prefix(*env, env_vars_);
      });
    }
    std::erase_if(units, [](const ComputeUnit& u) { return u.procs.empty(); });
    return Status::Ok();
  });
}

TargetsResponse AlloyTargets::serve() const {
  auto fail = [&](const Error& e) {
    logger_.error("Failed to discover Grafana Alloy targets", {{"err", e}});
    return TargetsResponse{500, "text/plain; charset=utf-8",
                           "An error has occurred while serving targets:\n\n" + e.message() + "\n"};
  };
  Result<std::vector<ComputeUnit>> units = [&]() -> Result<std::vector<ComputeUnit>> {
    // Requests may come in parallel; discovery keeps state across calls.
    std::lock_guard<std::mutex> lock(discovery_mu_);
    auto found = discovery_.discover();
    if (found) discovery_.walk(*found, UnitNeeds{.procs = true});
    return found;
  }();
  if (!units) return fail(units.error().wrap("failed to discover cgroups"));
  if (!env_vars_.empty()) {
    if (auto st = filter(*units); !st) return fail(st.error());
  }
  if (units->empty()) return {200, "application/json", "[]\n"};
  return {200, "application/json", targets_json(*units, self_profiler_ ? ::getpid() : 0)};
}

}  // namespace ceems::slurm
