#include "units/sub_collectors.h"

#include "core/parallel.h"

namespace ceems::units {

void SubCollectors::add(std::string name, std::unique_ptr<UnitSubCollector> sub, UnitNeeds needs) {
  subs_.push_back({std::move(name), std::move(sub)});
  needs_ |= needs;
}

void SubCollectors::update(std::span<const ComputeUnit> units, MetricBatch& out,
                           const std::function<void()>& own_work, const log::Logger& logger) {
  std::vector<MetricBatch> batches(subs_.size());
  std::vector<Status> results(subs_.size());
  // The caller's own work (the cgroup stats) is one more index, run beside the subs.
  parallel_for(subs_.size() + 1, [&](size_t i) {
    if (i == subs_.size()) {
      own_work();
    } else {
      results[i] = subs_[i].sub->update(units, batches[i]);
    }
  });
  for (size_t i = 0; i < subs_.size(); ++i) {
    const Status& st = results[i];
    if (!st) {
      if (st.error().kind() == ErrorKind::kNoData) {
        logger.debug("No data from sub-collector", {{"sub_collector", subs_[i].name}, {"err", st.error()}});
      } else {
        logger.error("Sub-collector failed", {{"sub_collector", subs_[i].name}, {"err", st.error()}});
      }
    }
    out.absorb(std::move(batches[i]));
  }
}

void SubCollectors::stop() {
  for (auto& s : subs_) s.sub->stop();
}

std::vector<std::string> SubCollectors::capabilities() const {
  std::vector<std::string> caps;
  for (const auto& s : subs_) {
    for (auto& c : s.sub->capabilities()) caps.push_back(std::move(c));
  }
  return caps;
}

}  // namespace ceems::units
