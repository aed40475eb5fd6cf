#include "slurm/job_env.h"

#include <gtest/gtest.h>

#include <string>

namespace ceems::slurm {
namespace {

using namespace std::string_literals;

TEST(SlurmScanEnviron, JobGpusWinOverStepGpus) {
  GpuOrdinalScan scan;
  std::string env = "PATH=/bin\0SLURM_JOB_ID=1009248\0SLURM_JOB_GPUS=2,3\0SLURM_STEP_GPUS=1,4\0"s;
  EXPECT_TRUE(scan_environ(env, "1009248", scan));
  EXPECT_TRUE(scan.done());
  EXPECT_EQ(scan.ordinals(), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(scan.step_gpus, (std::vector<std::string>{"1", "4"}));
}

TEST(SlurmScanEnviron, StepGpusWhenNoJobGpus) {
  GpuOrdinalScan scan;
  EXPECT_TRUE(scan_environ("SLURM_STEP_GPUS=0\0SLURM_JOB_ID=1009249\0"s, "1009249", scan));
  EXPECT_FALSE(scan.done());
  EXPECT_EQ(scan.ordinals(), (std::vector<std::string>{"0"}));
}

TEST(SlurmScanEnviron, OtherJobOrPrefixOfIdIsIgnored) {
  GpuOrdinalScan scan;
  EXPECT_FALSE(scan_environ("SLURM_JOB_ID=10000\0SLURM_STEP_GPUS=0\0"s, "1000", scan));
  EXPECT_FALSE(scan_environ("SLURM_JOB_ID=100\0SLURM_STEP_GPUS=0\0"s, "1000", scan));
  EXPECT_FALSE(scan_environ("XSLURM_JOB_ID=1000\0SLURM_STEP_GPUS=0\0"s, "1000", scan));
  EXPECT_TRUE(scan.ordinals().empty());
}

TEST(SlurmScanEnviron, EmptyValueGivesOneEmptyOrdinal) {
  GpuOrdinalScan scan;
  EXPECT_TRUE(scan_environ("SLURM_JOB_ID=7\0SLURM_JOB_GPUS=\0"s, "7", scan));
  EXPECT_EQ(scan.ordinals(), (std::vector<std::string>{""}));
}

TEST(SlurmScanEnviron, BinaryContentAndMissingEntries) {
  GpuOrdinalScan scan;
  std::string env = "\x01\xff\x00\0\0SLURM_JOB_ID=7\0NOEQUALS\0SLURM_STEP_GPUS\0"s;
  EXPECT_TRUE(scan_environ(env, "7", scan));
  // An entry without '=' gives an empty value, like an empty assignment.
  EXPECT_EQ(scan.ordinals(), (std::vector<std::string>{""}));
  GpuOrdinalScan none;
  EXPECT_FALSE(scan_environ("", "7", none));
  EXPECT_FALSE(scan_environ("\0\0\0"s, "7", none));
}

TEST(SlurmScanEnviron, LaterProcessOverwritesStepGpus) {
  GpuOrdinalScan scan;
  scan_environ("SLURM_JOB_ID=7\0SLURM_STEP_GPUS=0\0"s, "7", scan);
  scan_environ("SLURM_JOB_ID=7\0SLURM_STEP_GPUS=1\0"s, "7", scan);
  EXPECT_EQ(scan.ordinals(), (std::vector<std::string>{"1"}));
}

}  // namespace
}  // namespace ceems::slurm
