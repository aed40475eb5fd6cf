#include "exporter/scrape.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "core/exposition.h"
#include "core/parallel.h"
#include "exporter/build_info.h"

namespace ceems {
namespace {

const MetricDesc kDuration{"ceems_scrape_collector_duration_seconds",
                           "ceems_exporter: Duration of a collector scrape.",
                           MetricType::kGauge,
                           {"collector"}};
const MetricDesc kSuccess{"ceems_scrape_collector_success",
                          "ceems_exporter: Whether a collector succeeded.",
                          MetricType::kGauge,
                          {"collector"}};
const MetricDesc kBuildInfo{
    "ceems_exporter_build_info",
    "A metric with a constant '1' value labeled by version, revision, branch, goversion from "
    "which ceems_exporter was built, and the goos and goarch for the build.",
    MetricType::kGauge,
    {"version", "revision", "branch", "goversion", "goos", "goarch", "tags"}};

}  // namespace

ScrapeEngine::ScrapeEngine(std::vector<NamedCollector> collectors, log::Logger logger, bool exporter_metrics,
                           std::shared_ptr<HandlerMetrics> handler)
    : logger_(std::move(logger)), exporter_metrics_(exporter_metrics), handler_(std::move(handler)) {
  for (auto& c : collectors) {
    auto slot = std::make_unique<Slot>();
    slot->name = std::move(c.name);
    slot->impl = std::move(c.impl);
    slots_.push_back(std::move(slot));
  }
  const size_t others = slots_.empty() ? 1 : std::max<size_t>(1, slots_.size() - 1);
  // Room for a few concurrent scrapes; beyond it a scrape runs its collectors itself.
  workers_ = std::make_unique<TaskPool>(TaskPool::Options{4 * others, 4 * others, std::chrono::minutes(5)});
}

void ScrapeEngine::run_one(Slot& slot, Outcome& out) const {
  std::lock_guard<std::mutex> lock(slot.mu);
  auto start = std::chrono::steady_clock::now();
  Status st = slot.impl->update(out.batch);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.success = st.ok();
  if (exporter_metrics_) slot.impl->own_metrics(out.own);
  if (!st.ok()) {
    if (st.error().kind() == ErrorKind::kNoData && !slot.no_data_reported) {
      slot.no_data_reported = true;
      logger_.info("collector has no data on this host; reported with ceems_scrape_collector_success 0",
                   {{"name", slot.name}, {"err", st.error()}});
    } else if (st.error().kind() == ErrorKind::kNoData) {
      logger_.debug("collector returned no data",
                    {{"name", slot.name}, {"duration_seconds", out.seconds}, {"err", st.error()}});
    } else {
      logger_.error("collector failed",
                    {{"name", slot.name}, {"duration_seconds", out.seconds}, {"err", st.error()}});
    }
    // A failed update's partial samples are still valid observations; keep them.
  } else {
    logger_.debug("collector succeeded", {{"name", slot.name}, {"duration_seconds", out.seconds}});
  }
}

std::string ScrapeEngine::scrape() {
  std::vector<Outcome> outcomes(slots_.size());
  // Collectors of one scrape run concurrently, one of them on this thread.
  parallel_for(
      slots_.size(), [&](size_t i) { run_one(*slots_[i], outcomes[i]); },
      ParallelOptions{0, 1, workers_.get()});

  MetricBatch framework;
  const BuildInfo& b = build_info();
  framework.add(kBuildInfo, {b.version, b.revision, b.branch, b.compiler, "linux", b.goarch, b.tags}, 1);
  auto& duration = framework.family(kDuration);
  auto& success = framework.family(kSuccess);
  for (size_t i = 0; i < slots_.size(); ++i) {
    duration.add({slots_[i]->name}, outcomes[i].seconds);
    success.add({slots_[i]->name}, outcomes[i].success ? 1 : 0);
  }
  if (exporter_metrics_) collect_process_metrics(framework, *handler_);

  std::vector<const MetricBatch*> batches;
  batches.push_back(&framework);
  for (const auto& o : outcomes) {
    batches.push_back(&o.batch);
    batches.push_back(&o.own);
  }
  std::string page;
  const size_t last = last_page_size_.load(std::memory_order_relaxed);
  page.reserve(std::max<size_t>(16384, last + last / 16));
  ExpositionProblems problems;
  write_text(batches, page, &problems);
  for (const auto& m : problems.messages) logger_.error("error gathering metrics", {{"err", m}});
  if (!problems.messages.empty()) handler_->errors_gathering += 1;
  last_page_size_.store(page.size(), std::memory_order_relaxed);
  return page;
}

void ScrapeEngine::stop() {
  for (auto& s : slots_) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->impl->stop();
  }
}

}  // namespace ceems
