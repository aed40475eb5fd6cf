// The metric data model: a collector fills a MetricBatch on each update; the
// exposition layer merges the batches of all collectors into one text page.
// Samples are stored flat (label values of a family in one vector) so that a
// scrape costs a handful of allocations per family, not per sample.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ceems {

enum class MetricType { kCounter, kGauge, kUntyped };

// Name, help, type and label names (in declaration order) of one metric family.
struct MetricDesc {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> labels;
};

class MetricFamily {
 public:
  explicit MetricFamily(MetricDesc desc) : desc_(std::move(desc)) {}
  // Label values point into the family's own storage: held in place (batches
  // own families through pointers), never copied or moved.
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const MetricDesc& desc() const { return desc_; }
  size_t size() const { return values_.size(); }
  size_t label_count() const { return desc_.labels.size(); }

  // Label values in the order of desc().labels. A wrong count is a programming error
  // and the sample is dropped (and counted in mismatched()).
  void add(std::initializer_list<std::string_view> label_values, double value);
  void add(std::span<const std::string> label_values, double value);
  void add(std::span<const std::string_view> label_values, double value);

  std::string_view label_value(size_t sample, size_t label) const {
    return label_values_[sample * desc_.labels.size() + label];
  }
  double value(size_t sample) const { return values_[sample]; }
  // The label values of one sample, in declaration order (label_count() of them).
  const std::string_view* row(size_t sample) const {
    return label_values_.data() + sample * desc_.labels.size();
  }
  size_t mismatched() const { return mismatched_; }
  void reserve(size_t n);
  // Takes other's samples (same label names expected; a different count is
  // counted as mismatched, like add()).
  void append(MetricFamily&& other);

 private:
  // Stores a label value for the sample being added: a value equal to the same
  // label of the previous sample (a constant `manager` or `hostname`) shares its
  // bytes, others are copied into blocks that never move. A 5,000-unit scrape
  // holds some 45,000 samples: 16 bytes a label instead of a std::string's 32
  // (and its heap copy beyond 15 characters).
  std::string_view keep(std::string_view v, size_t column);

  MetricDesc desc_;
  std::vector<std::string_view> label_values_;
  std::vector<double> values_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* free_ = nullptr;  // the free bytes of the block being filled
  size_t free_left_ = 0;
  size_t mismatched_ = 0;
};

class MetricBatch {
 public:
  // The family with this descriptor's name, created on first use. A later call with
  // the same name returns the same family (its first descriptor wins).
  MetricFamily& family(const MetricDesc& desc);

  // Convenience for one-off samples.
  void add(const MetricDesc& desc, std::initializer_list<std::string_view> label_values, double value) {
    family(desc).add(label_values, value);
  }

  const std::vector<std::unique_ptr<MetricFamily>>& families() const { return families_; }
  // Moves other's families into this batch (samples of a family already here are
  // appended to it). Lets sub-collectors fill batches of their own concurrently.
  void absorb(MetricBatch&& other);
  size_t sample_count() const;
  void clear();

 private:
  std::vector<std::unique_ptr<MetricFamily>> families_;
  std::unordered_map<std::string, MetricFamily*> by_name_;
};

}  // namespace ceems
