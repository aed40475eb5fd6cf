#include "core/metrics.h"

namespace ceems {

void MetricFamily::reserve(size_t n) {
  values_.reserve(n);
  label_values_.reserve(n * desc_.labels.size());
}

void MetricFamily::add(std::initializer_list<std::string_view> label_values, double value) {
  add(std::span<const std::string_view>(label_values.begin(), label_values.size()), value);
}

void MetricFamily::add(std::span<const std::string_view> label_values, double value) {
  if (label_values.size() != desc_.labels.size()) {
    ++mismatched_;
    return;
  }
  for (auto v : label_values) label_values_.emplace_back(v);
  values_.push_back(value);
}

void MetricFamily::add(std::span<const std::string> label_values, double value) {
  if (label_values.size() != desc_.labels.size()) {
    ++mismatched_;
    return;
  }
  for (const auto& v : label_values) label_values_.push_back(v);
  values_.push_back(value);
}

void MetricFamily::append(const MetricFamily& other) {
  if (other.label_count() != label_count()) {
    mismatched_ += other.size();
    return;
  }
  label_values_.insert(label_values_.end(), other.label_values_.begin(), other.label_values_.end());
  values_.insert(values_.end(), other.values_.begin(), other.values_.end());
}

void MetricBatch::absorb(MetricBatch&& other) {
  for (auto& f : other.families_) {
    auto it = by_name_.find(f->desc().name);
    if (it != by_name_.end()) {
      it->second->append(*f);
      continue;
    }
    by_name_.emplace(f->desc().name, f.get());
    families_.push_back(std::move(f));
  }
  other.clear();
}

MetricFamily& MetricBatch::family(const MetricDesc& desc) {
  auto it = by_name_.find(desc.name);
  if (it != by_name_.end()) return *it->second;
  families_.push_back(std::make_unique<MetricFamily>(desc));
  MetricFamily* f = families_.back().get();
  by_name_.emplace(desc.name, f);
  return *f;
}

size_t MetricBatch::sample_count() const {
  size_t n = 0;
  for (const auto& f : families_) n += f->size();
  return n;
}

void MetricBatch::clear() {
  families_.clear();
  by_name_.clear();
}

}  // namespace ceems
