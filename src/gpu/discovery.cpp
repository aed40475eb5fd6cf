// GPU vendor selection and the tool runs behind it. Discovery runs once at start-up;
// every failure is logged and leaves an empty inventory, never a failed start. The
// vGPU refresh reuses the same lookup and limits.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/filesystem.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

constexpr std::chrono::milliseconds kToolTimeout{10000};
// A full `nvidia-smi --query` on an 8-GPU node with MIG is a few hundred KiB; the
// cap leaves room for large nodes while bounding a runaway tool.
constexpr size_t kToolOutputMax = size_t{16} << 20;

struct Tool {
  std::string_view program;
  std::vector<std::string> args;
  Result<std::vector<Device>> (*parse)(std::string_view);
  std::string explicit_path;
};

// Tools are alternatives in order of preference; a later one is tried only when the
// earlier ones are not installed.
struct Vendor {
  std::string_view type;
  std::vector<Tool> tools;
};

// An explicit path must exist; otherwise the program is looked up on PATH.
Result<std::string> locate(const std::string& explicit_path, std::string_view program) {
  if (!explicit_path.empty()) {
    if (auto st = real_filesystem().stat(explicit_path); !st) {
      return st.error().wrap("--collector.gpu." + std::string(program) + "-path " + explicit_path);
    }
    // A bare name would be searched on PATH by the runner; the flag names a file.
    if (explicit_path.find('/') == std::string::npos) return "./" + explicit_path;
    return explicit_path;
  }
  std::string found = find_executable(std::string(program));
  if (found.empty()) return Error(ErrorKind::kNotFound, std::string(program) + " not found on PATH");
  return found;
}

Result<std::string> run_tool(const std::string& path, std::string_view program,
                             const std::vector<std::string>& args, CommandRunner& runner) {
  Command cmd;
  cmd.argv.push_back(path);
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  cmd.timeout = kToolTimeout;
  cmd.max_output = kToolOutputMax;
  cmd.merge_stderr = true;
  auto out = runner.run(cmd);
  if (!out) return out.error();
  if (out->truncated) {
    return invalid(std::string(program) + " output exceeds " + std::to_string(kToolOutputMax) + " bytes");
  }
  return std::move(out->output);
}

// Logs its own failures: it alone knows whether the tool was installed and where.
// An installed tool that fails (exit status, timeout, unreadable output) is a WARN
// whatever --collector.gpu.type says, since the node then runs without GPU mapping
// although the operator installed the tool; absence is only worth a WARN when the
// vendor was forced.
std::optional<std::vector<Device>> discover_vendor(const Vendor& v, bool forced, CommandRunner& runner,
                                                   const log::Logger& logger) {
  // Every line of this vendor names it.
  const log::Logger vlog = logger.with("type", v.type);
  std::string missing;
  for (const Tool& t : v.tools) {
    auto path = locate(t.explicit_path, t.program);
    if (!path) {
      // A tool that is installed but fails is the vendor's answer; only absence
      // moves on to the next one.
      if (path.error().kind() != ErrorKind::kNotFound) {
        vlog.warn("GPU tool cannot be used, no GPU mapping from it",
                  {{"tool", t.program}, {"err", path.error()}});
        return std::nullopt;
      }
      missing += (missing.empty() ? "" : "; ") + path.error().message();
      continue;
    }
    vlog.debug("Running GPU tool", {{"path", *path}});
    auto out = run_tool(*path, t.program, t.args, runner);
    auto devices = out ? t.parse(*out) : Result<std::vector<Device>>(out.error());
    if (!devices) {
      vlog.warn("GPU tool failed, no GPU mapping from it", {{"path", *path}, {"err", devices.error()}});
      return std::nullopt;
    }
    return std::move(devices).value();
  }
  if (forced) {
    vlog.warn("GPU tool not installed", {{"err", missing}});
  } else {
    // Without --collector.gpu.type a missing vendor is the normal case on most nodes.
    vlog.debug("GPU tool not installed", {{"err", missing}});
  }
  return std::nullopt;
}

}  // namespace

void register_gpu_flags(FlagSet& flags) {
  flags.add(FlagSpec{.name = "collector.gpu.type",
                     .kind = FlagKind::kEnum,
                     .help = "GPU device type. Currently only nvidia and amd devices are supported.",
                     .defaults = {""},
                     .choices = {"nvidia", "amd"},
                     .hidden = true});
  flags.add_string("collector.gpu.nvidia-smi-path",
                   "Absolute path to nvidia-smi binary. Use only for testing.", "", true);
  flags.add_string("collector.gpu.rocm-smi-path", "Absolute path to rocm-smi binary. Use only for testing.",
                   "", true);
  flags.add_string("collector.gpu.amd-smi-path", "Absolute path to amd-smi binary. Use only for testing.", "",
                   true);
}

DiscoveryOptions discovery_options(const FlagSet& flags) {
  return DiscoveryOptions{.type = flags.get_string("collector.gpu.type"),
                          .nvidia_smi_path = flags.get_string("collector.gpu.nvidia-smi-path"),
                          .rocm_smi_path = flags.get_string("collector.gpu.rocm-smi-path"),
                          .amd_smi_path = flags.get_string("collector.gpu.amd-smi-path")};
}

std::vector<Device> discover(const DiscoveryOptions& opts, CommandRunner& runner, const log::Logger& logger) {
  const Vendor nvidia{
      "nvidia", {{"nvidia-smi", {"--query", "--xml-format"}, parse_nvidia_smi_xml, opts.nvidia_smi_path}}};
  // rocm-smi first as in the reference; amd-smi covers nodes where AMD's newer tool
  // is the only one installed.
  const Vendor amd{
      "amd",
      {{"rocm-smi",
        {"--showproductname", "--showserial", "--showbus", "--csv"},
        parse_rocm_smi_csv,
        opts.rocm_smi_path},
       {"amd-smi", {"static", "--asic", "--bus", "--json"}, parse_amd_smi_json, opts.amd_smi_path}}};

  std::vector<const Vendor*> order;
  if (opts.type.empty() || opts.type == "nvidia") order.push_back(&nvidia);
  if (opts.type.empty() || opts.type == "amd") order.push_back(&amd);
  if (order.empty()) {
    logger.warn("Unknown GPU type, GPU discovery skipped", {{"type", opts.type}});
    return {};
  }
  const bool forced = !opts.type.empty();

  for (const Vendor* v : order) {
    auto devices = discover_vendor(*v, forced, runner, logger);
    if (!devices) continue;
    for (const Device& d : *devices) {
      if (!d.bus_id) {
        logger.debug("Failed to parse GPU bus id",
                     {{"type", v->type}, {"index", d.local_index}, {"uuid", d.uuid}});
      }
    }
    logger.info("GPU devices found", {{"type", v->type}, {"num_devs", devices->size()}});
    return std::move(devices).value();
  }
  logger.debug("No GPU devices found");
  return {};
}

Status refresh_vgpu(std::vector<Device>& devices, const DiscoveryOptions& opts, CommandRunner& runner) {
  auto path = locate(opts.nvidia_smi_path, "nvidia-smi");
  if (!path) return path.error();
  auto out = run_tool(*path, "nvidia-smi", {"vgpu", "--query"}, runner);
  if (!out) return out.error();
  auto blocks = parse_nvidia_smi_vgpu(*out);
  if (!blocks) return blocks.error();
  apply_vgpu(devices, *blocks);
  return Status::Ok();
}

}  // namespace ceems::gpu
