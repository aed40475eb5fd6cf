#include "core/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace ceems {
namespace {

const MetricDesc kDesc{"x_total", "X.", MetricType::kCounter, {"manager", "uuid"}};

TEST(CoreMetricFamily, LabelValuesOutliveTheCallersStrings) {
  MetricFamily f(kDesc);
  for (int i = 0; i < 3000; ++i) {
    std::string manager = "slurm";
    std::string uuid = "job-" + std::to_string(i);
    f.add({manager, uuid}, i);
  }
  ASSERT_EQ(f.size(), 3000U);
  EXPECT_EQ(f.label_value(0, 0), "slurm");
  EXPECT_EQ(f.label_value(2999, 1), "job-2999");
  EXPECT_EQ(f.row(1234)[1], "job-1234");
  // A constant column shares one copy.
  EXPECT_EQ(f.label_value(0, 0).data(), f.label_value(2999, 0).data());
  EXPECT_EQ(f.value(2999), 2999);
}

TEST(CoreMetricFamily, ValuesLongerThanABlock) {
  MetricFamily f(kDesc);
  const std::string big(40000, 'u');
  f.add({"a", big}, 1);
  f.add({"b", "small"}, 2);
  EXPECT_EQ(f.label_value(0, 1), big);
  EXPECT_EQ(f.label_value(1, 1), "small");
  EXPECT_EQ(f.label_value(1, 0), "b");
}

TEST(CoreMetricFamily, WrongLabelCountIsCountedAndDropped) {
  MetricFamily f(kDesc);
  f.add({"only-one"}, 1);
  EXPECT_EQ(f.size(), 0U);
  EXPECT_EQ(f.mismatched(), 1U);
}

TEST(CoreMetricBatch, AbsorbedSamplesSurviveTheOtherBatch) {
  MetricBatch into;
  into.add(kDesc, {"slurm", "1"}, 1);
  {
    MetricBatch other;
    for (int i = 2; i < 2000; ++i) other.add(kDesc, {"slurm", std::to_string(i)}, i);
    other.add({"y", "Y.", MetricType::kGauge, {}}, {}, 7);
    into.absorb(std::move(other));
  }
  ASSERT_EQ(into.families().size(), 2U);
  const MetricFamily& f = *into.families()[0];
  ASSERT_EQ(f.size(), 1999U);
  EXPECT_EQ(f.label_value(1998, 1), "1999");
  EXPECT_EQ(f.label_value(1, 0), "slurm");
  // Adding after an absorb goes on into fresh storage.
  into.add(kDesc, {"libvirt", "z"}, 3);
  EXPECT_EQ(f.label_value(1999, 0), "libvirt");
  EXPECT_EQ(f.label_value(1998, 1), "1999");
  EXPECT_EQ(into.sample_count(), 2001U);
}

}  // namespace
}  // namespace ceems
