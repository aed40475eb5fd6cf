#include "slurm/gpu_job_map.h"

#include <gtest/gtest.h>

#include "core/testing/test_support.h"

namespace ceems::slurm {
namespace {

TEST(SlurmBuildGpuJobMap, GroupsOrdinalsByJobInNumericOrder) {
  auto m = build_gpu_job_map({{"10", "42\n"}, {"2", "42"}, {"0", "7\n"}, {"1.3", "7"}});
  ASSERT_EQ(m.by_job.size(), 2u);
  EXPECT_EQ(m.by_job.at("42"), (std::vector<std::string>{"2", "10"}));
  EXPECT_EQ(m.by_job.at("7"), (std::vector<std::string>{"0", "1.3"}));
  EXPECT_TRUE(m.skipped.empty());
}

TEST(SlurmBuildGpuJobMap, SkipsMalformedEntries) {
  auto m = build_gpu_job_map({{"README", "1"}, {"0", "not-a-job"}, {"1", ""}, {"2", "5"}, {"1.", "5"}});
  EXPECT_EQ(m.by_job.size(), 1u);
  EXPECT_EQ(m.skipped, (std::vector<std::string>{"README", "0", "1", "1."}));
}

TEST(SlurmReadGpuJobMap, ReadsADirectoryAndReportsAMissingOne) {
  test_support::TempTree t;
  t.write("map/0", "1009249\n");
  t.write("map/2", "1009248\n");
  t.write("map/3", "1009248\n");
  auto m = read_gpu_job_map(real_filesystem(), t.path("map"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->by_job.at("1009248"), (std::vector<std::string>{"2", "3"}));
  auto missing = read_gpu_job_map(real_filesystem(), t.path("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace ceems::slurm
