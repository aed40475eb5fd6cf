#include "core/metrics.h"

#include <algorithm>
#include <cstring>

namespace ceems {
namespace {

constexpr size_t kBlockBytes = 16384;

}  // namespace

std::string_view MetricFamily::keep(std::string_view v, size_t column) {
  // values_ counts the samples complete so far: the previous one is the last.
  if (!values_.empty()) {
    std::string_view prev = label_values_[(values_.size() - 1) * desc_.labels.size() + column];
    if (prev == v) return prev;
  }
  if (v.empty()) return {};
  if (free_left_ < v.size()) {
    const size_t size = std::max(kBlockBytes, v.size());
    blocks_.emplace_back(new char[size]);
    free_ = blocks_.back().get();
    free_left_ = size;
  }
  char* p = free_;
  std::memcpy(p, v.data(), v.size());
  free_ += v.size();
  free_left_ -= v.size();
  return {p, v.size()};
}

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
  for (size_t i = 0; i < label_values.size(); ++i) label_values_.push_back(keep(label_values[i], i));
  values_.push_back(value);
}

void MetricFamily::add(std::span<const std::string> label_values, double value) {
  if (label_values.size() != desc_.labels.size()) {
    ++mismatched_;
    return;
  }
  for (size_t i = 0; i < label_values.size(); ++i) label_values_.push_back(keep(label_values[i], i));
  values_.push_back(value);
}

void MetricFamily::append(MetricFamily&& other) {
  if (other.label_count() != label_count()) {
    mismatched_ += other.size();
    return;
  }
  // other's label values stay where they are: their blocks move here.
  for (auto& b : other.blocks_) blocks_.push_back(std::move(b));
  other.blocks_.clear();
  other.free_ = nullptr;
  other.free_left_ = 0;
  label_values_.insert(label_values_.end(), other.label_values_.begin(), other.label_values_.end());
  values_.insert(values_.end(), other.values_.begin(), other.values_.end());
  other.label_values_.clear();
  other.values_.clear();
}

void MetricBatch::absorb(MetricBatch&& other) {
  for (auto& f : other.families_) {
    auto it = by_name_.find(f->desc().name);
    if (it != by_name_.end()) {
      it->second->append(std::move(*f));
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
