#include "exporter/startup_checks.h"

#include "core/strings.h"
#include "gpu/gpu.h"

namespace ceems {
namespace {

void set_with_prefix(const FlagSet& flags, std::string_view prefix, std::vector<std::string>& out) {
  for (const auto& name : flags.names()) {
    if (starts_with(name, prefix) && flags.explicitly_set(name)) out.push_back(name);
  }
}

// The per-unit sub-collectors (perf, eBPF, RDMA) run inside a resource manager's
// collector: without one their flags configure nothing.
void check_unit_flags(const FlagSet& flags, FlagFindings& f) {
  if (flags.get_bool("collector.slurm") || flags.get_bool("collector.libvirt")) return;
  std::vector<std::string> idle;
  for (std::string_view prefix : {"collector.perf.", "collector.ebpf.", "collector.rdma."}) {
    set_with_prefix(flags, prefix, idle);
  }
  for (const auto& name : idle) {
    f.warnings.push_back("--" + name +
                         " has no effect: it configures a per-job/VM collector, which runs only with "
                         "--collector.slurm or --collector.libvirt");
  }
}

void check_discoverer_flags(const FlagSet& flags, FlagFindings& f) {
  if (!flags.get_string("discoverer.alloy-targets.resource-manager").empty()) return;
  std::vector<std::string> idle;
  set_with_prefix(flags, "discoverer.alloy-targets.", idle);
  for (const auto& name : idle) {
    if (name == "discoverer.alloy-targets.resource-manager") continue;
    f.warnings.push_back(
        "--" + name +
        " has no effect without --discoverer.alloy-targets.resource-manager (the Grafana Alloy "
        "targets list stays empty)");
  }
}

// A URL path the server can route: non-empty and starting with "/".
Status check_url_path(const std::string& flag, const std::string& value) {
  if (value.empty() || value.front() != '/') {
    return invalid("--" + flag + "=" + quote_for_error(value) +
                   ": must be a URL path starting with \"/\" (e.g. /metrics)");
  }
  return Status::Ok();
}

void check_web_flags(const FlagSet& flags, FlagFindings& f) {
  const std::string telemetry = flags.get_string("web.telemetry-path");
  const std::string targets = flags.get_string("web.targets-path");
  bool paths_ok = true;
  for (const auto& [flag, value] :
       {std::pair{"web.telemetry-path", telemetry}, {"web.targets-path", targets}}) {
    if (auto st = check_url_path(flag, value); !st) {
      f.errors.push_back(st.error().message());
      paths_ok = false;
    }
  }
  if (paths_ok && telemetry == targets) {
    f.errors.push_back("--web.targets-path=" + quote_for_error(targets) +
                       " is the path of --web.telemetry-path: one would hide the other; choose another path");
  }
  if (flags.get_int("web.max-requests") < 0) {
    f.errors.push_back("--web.max-requests=" + std::to_string(flags.get_int("web.max-requests")) +
                       ": must be 0 (no limit) or more");
  }
  if (flags.get_bool("web.debug-server")) {
    f.warnings.emplace_back("--web.debug-server has no effect: this implementation has no debug server");
  }
}

void check_runtime_flags(const FlagSet& flags, FlagFindings& f) {
  const int64_t procs = flags.get_int("runtime.gomaxprocs");
  if (procs < 0) {
    f.errors.push_back("--runtime.gomaxprocs=" + std::to_string(procs) + ": must be 0 or more");
  } else if (flags.explicitly_set("runtime.gomaxprocs")) {
    f.notes.emplace_back(
        "--runtime.gomaxprocs is accepted for compatibility and has no effect (threads are sized by "
        "--web.max-requests and the collectors)");
  }
}

// A collector's flags are checked when the collector is built; with the collector
// off, a typo would wait silently for the day it is turned on. Only values whose
// check needs nothing of the host belong here.
void check_flags_of_disabled_collectors(const FlagSet& flags, FlagFindings& f) {
  if (!flags.get_bool("collector.slurm")) {
    if (auto map = gpu::parse_order_map(flags.get_string("collector.slurm.gpu-order-map")); !map) {
      f.errors.push_back(map.error().message());
    }
  }
}

}  // namespace

FlagFindings check_exporter_flags(const FlagSet& flags) {
  FlagFindings f;
  check_web_flags(flags, f);
  check_runtime_flags(flags, f);
  check_unit_flags(flags, f);
  check_discoverer_flags(flags, f);
  check_flags_of_disabled_collectors(flags, f);
  return f;
}

}  // namespace ceems
