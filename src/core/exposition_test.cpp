#include "core/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ceems {
namespace {

TEST(CoreFormatValue, MatchesGoShortestG) {
  EXPECT_EQ(format_value(479), "479");
  EXPECT_EQ(format_value(0.45), "0.45");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(60375.292848), "60375.292848");
  EXPECT_EQ(format_value(123456), "123456");
  EXPECT_EQ(format_value(1000000), "1e+06");
  EXPECT_EQ(format_value(4194304), "4.194304e+06");
  EXPECT_EQ(format_value(10407936), "1.0407936e+07");
  EXPECT_EQ(format_value(4098592768.0), "4.098592768e+09");
  EXPECT_EQ(format_value(201362030592.0), "2.01362030592e+11");
  EXPECT_EQ(format_value(0.0001), "0.0001");
  EXPECT_EQ(format_value(0.00001), "1e-05");
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-1), "-1");
  EXPECT_EQ(format_value(-0.5), "-0.5");
  EXPECT_EQ(format_value(1e100), "1e+100");
  EXPECT_EQ(format_value(258218.293244), "258218.293244");
  EXPECT_EQ(format_value(18446744073709551615.0), "1.8446744073709552e+19");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

std::string render(std::initializer_list<const MetricBatch*> batches, ExpositionProblems* p = nullptr) {
  std::string out;
  std::vector<const MetricBatch*> v(batches);
  write_text(v, out, p);
  return out;
}

TEST(CoreWriteText, SortsFamiliesLabelsAndSamples) {
  MetricBatch b;
  MetricDesc d{"z_metric", "Z help.", MetricType::kGauge, {"hostname", "domain"}};
  b.add(d, {"", "node"}, 873);
  b.add(d, {"", "cpu"}, 83);
  b.add({"a_total", "A.", MetricType::kCounter, {}}, {}, 2);
  EXPECT_EQ(render({&b}),
            "# HELP a_total A.\n# TYPE a_total counter\na_total 2\n"
            "# HELP z_metric Z help.\n# TYPE z_metric gauge\n"
            "z_metric{domain=\"cpu\",hostname=\"\"} 83\n"
            "z_metric{domain=\"node\",hostname=\"\"} 873\n");
}

TEST(CoreMetricBatch, AbsorbMovesNewFamiliesAndAppendsToExistingOnes) {
  MetricDesc d{"m", "M.", MetricType::kGauge, {"uuid"}};
  MetricBatch a;
  a.add(d, {"1"}, 1);
  MetricBatch b;
  b.add(d, {"2"}, 2);
  b.add({"n", "N.", MetricType::kGauge, {}}, {}, 3);
  a.absorb(std::move(b));
  EXPECT_EQ(render({&a}),
            "# HELP m M.\n# TYPE m gauge\nm{uuid=\"1\"} 1\nm{uuid=\"2\"} 2\n"
            "# HELP n N.\n# TYPE n gauge\nn 3\n");
}

TEST(CoreWriteText, EscapesHelpAndLabelValues) {
  MetricBatch b;
  b.add({"m", "a\\b\nc", MetricType::kUntyped, {"l"}}, {"q\"\\\n"}, 1);
  EXPECT_EQ(render({&b}), "# HELP m a\\\\b\\nc\n# TYPE m untyped\nm{l=\"q\\\"\\\\\\n\"} 1\n");
}

TEST(CoreWriteText, MergesBatchesAndDropsConflicts) {
  MetricBatch a;
  MetricBatch b;
  MetricDesc d{"m", "help", MetricType::kGauge, {"x"}};
  a.add(d, {"2"}, 2);
  b.add(d, {"1"}, 1);
  b.add(d, {"2"}, 99);  // duplicate series: first seen wins
  MetricBatch c;
  c.add({"m", "other help", MetricType::kGauge, {"x"}}, {"3"}, 3);  // conflicting help: dropped
  ExpositionProblems p;
  EXPECT_EQ(render({&a, &b, &c}, &p), "# HELP m help\n# TYPE m gauge\nm{x=\"1\"} 1\nm{x=\"2\"} 2\n");
  EXPECT_EQ(p.messages.size(), 2u);
}

TEST(CoreWriteText, DropsInvalidUtf8AndWrongLabelCounts) {
  MetricBatch b;
  MetricDesc d{"m", "h", MetricType::kGauge, {"x"}};
  b.add(d, {"ok"}, 1);
  b.add(d, {"\xff\xfe"}, 2);
  b.add(d, {"a", "b"}, 3);
  ExpositionProblems p;
  EXPECT_EQ(render({&b}, &p), "# HELP m h\n# TYPE m gauge\nm{x=\"ok\"} 1\n");
  EXPECT_EQ(p.messages.size(), 2u);
}

TEST(CoreWriteText, EmptyFamiliesAreNotPrinted) {
  MetricBatch b;
  b.family({"m", "h", MetricType::kGauge, {}});
  EXPECT_EQ(render({&b}), "");
}

TEST(CoreWriteText, SameFamilyWithDifferentLabelSets) {
  MetricBatch a;
  MetricBatch b;
  a.add({"m", "h", MetricType::kGauge, {"host", "uuid"}}, {"n1", "2"}, 2);
  a.add({"m", "h", MetricType::kGauge, {"host", "uuid"}}, {"n1", "1"}, 1);
  b.add({"m", "h", MetricType::kGauge, {"host", "uuid", "gpu"}}, {"n1", "1", "0"}, 3);
  MetricBatch c;  // one batch holds one label set per family name
  c.add({"m", "h", MetricType::kGauge, {"host"}}, {"n2"}, 4);
  EXPECT_EQ(render({&a, &b, &c}),
            "# HELP m h\n# TYPE m gauge\n"
            "m{host=\"n2\"} 4\n"
            "m{host=\"n1\",uuid=\"1\"} 1\n"
            "m{host=\"n1\",uuid=\"2\"} 2\n"
            "m{gpu=\"0\",host=\"n1\",uuid=\"1\"} 3\n");
}

TEST(CoreWriteText, ConstantColumnsAreStillEscapedAndValidated) {
  MetricBatch b;
  MetricDesc d{"m", "h", MetricType::kGauge, {"host", "id"}};
  b.add(d, {"a\"b", "1"}, 1);
  b.add(d, {"a\"b", "2"}, 2);
  EXPECT_EQ(render({&b}),
            "# HELP m h\n# TYPE m gauge\nm{host=\"a\\\"b\",id=\"1\"} 1\nm{host=\"a\\\"b\",id=\"2\"} 2\n");
  MetricBatch c;
  c.add(d, {"\xff", "1"}, 1);
  c.add(d, {"\xff", "2"}, 2);
  ExpositionProblems p;
  EXPECT_EQ(render({&c}, &p), "# HELP m h\n# TYPE m gauge\n");
  EXPECT_EQ(p.messages.size(), 2u);
}

}  // namespace
}  // namespace ceems
