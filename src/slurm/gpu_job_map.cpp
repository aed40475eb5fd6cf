#include "slurm/gpu_job_map.h"

#include <algorithm>
#include <cctype>

#include "core/strings.h"

namespace ceems::slurm {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// Ordinals are GPU indices, or `<gpu>.<gi>` for MIG instances.
bool valid_ordinal(std::string_view s) {
  size_t dot = s.find('.');
  if (dot == std::string_view::npos) return all_digits(s);
  return all_digits(s.substr(0, dot)) && all_digits(s.substr(dot + 1));
}

bool ordinal_less(const std::string& a, const std::string& b) {
  if (a.size() != b.size() && all_digits(a) && all_digits(b)) return a.size() < b.size();
  return a < b;
}

}  // namespace

GpuJobMap build_gpu_job_map(const std::vector<std::pair<std::string, std::string>>& files) {
  GpuJobMap m;
  for (const auto& [name, content] : files) {
    std::string_view job = trim(content);
    if (!valid_ordinal(name) || !all_digits(job)) {
      m.skipped.push_back(name);
      continue;
    }
    m.by_job[std::string(job)].push_back(name);
  }
  for (auto& [job, ordinals] : m.by_job) std::sort(ordinals.begin(), ordinals.end(), ordinal_less);
  return m;
}

Result<GpuJobMap> read_gpu_job_map(const Filesystem& fs, const std::string& dir) {
  auto entries = fs.list_dir(dir);
  if (!entries) return entries.error().wrap("reading GPU job map directory " + dir);
  std::vector<std::pair<std::string, std::string>> files;
  files.reserve(entries->size());
  for (const auto& e : *entries) {
    if (e.is_dir) continue;
    // A file removed by the epilog between listing and reading is simply gone.
    auto content = fs.read_file(dir + "/" + e.name, 64);
    if (content) files.emplace_back(e.name, std::move(*content));
  }
  return build_gpu_job_map(files);
}

}  // namespace ceems::slurm
