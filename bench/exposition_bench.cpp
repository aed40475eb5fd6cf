// Exposition throughput: 100,000 synthetic samples shaped like compute-unit metrics
// (100 families x 1,000 units, 4 labels each), rendered to text.
#include <benchmark/benchmark.h>

#include <string>

#include "core/exposition.h"

namespace {

ceems::MetricBatch make_batch(size_t families, size_t per_family, bool sorted = false) {
  ceems::MetricBatch b;
  for (size_t f = 0; f < families; ++f) {
    auto& fam = b.family({"ceems_compute_unit_metric_" + std::to_string(f) + "_total",
                          "Synthetic metric.",
                          ceems::MetricType::kCounter,
                          {"manager", "hostname", "uuid", "mode"}});
    fam.reserve(per_family);
    for (size_t u = 0; u < per_family; ++u) {
      // Units in reverse order so the writer has to sort.
      std::string uuid = std::to_string(sorted ? 1000000 + u : 1000000 + per_family - u);
      fam.add({"slurm", "compute-0-123", uuid, "user"},
              static_cast<double>(u) * 1234.5678 + static_cast<double>(f));
    }
  }
  return b;
}

void BM_WriteText100k(benchmark::State& state) {
  auto batch = make_batch(100, 1000);
  const ceems::MetricBatch* batches[] = {&batch};
  std::string out;
  for (auto _ : state) {
    out.clear();
    ceems::write_text(batches, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100000);
  state.counters["bytes_per_page"] = static_cast<double>(out.size());
}
BENCHMARK(BM_WriteText100k)->Unit(benchmark::kMillisecond);

// Collectors walk directories in name order, so input usually arrives sorted.
void BM_WriteText100kPresorted(benchmark::State& state) {
  auto batch = make_batch(100, 1000, true);
  const ceems::MetricBatch* batches[] = {&batch};
  std::string out;
  for (auto _ : state) {
    out.clear();
    ceems::write_text(batches, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100000);
}
BENCHMARK(BM_WriteText100kPresorted)->Unit(benchmark::kMillisecond);

void BM_BuildAndWrite100k(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    auto batch = make_batch(100, 1000);
    const ceems::MetricBatch* batches[] = {&batch};
    out.clear();
    ceems::write_text(batches, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 100000);
}
BENCHMARK(BM_BuildAndWrite100k)->Unit(benchmark::kMillisecond);

void BM_FormatValue(benchmark::State& state) {
  char buf[40];
  double v = 1.0;
  for (auto _ : state) {
    v = v * 1.0000001 + 0.37;
    benchmark::DoNotOptimize(ceems::format_value(v, buf));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FormatValue);

}  // namespace

BENCHMARK_MAIN();
