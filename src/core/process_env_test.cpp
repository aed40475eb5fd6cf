#include "core/process_env.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ceems {
namespace {

using namespace std::string_literals;

TEST(CoreJoinCmdline, JoinsArgumentsWithSpaces) {
  EXPECT_EQ(join_cmdline("python3\0-c\0print(1)\0"s), "python3 -c print(1)");
  EXPECT_EQ(join_cmdline(""), "");
  EXPECT_EQ(join_cmdline("\0"s), "");
}

TEST(CoreIsSlurmHelper, MatchesTheReferencePattern) {
  EXPECT_TRUE(is_slurm_helper("slurmstepd: [1009248.batch]"));
  EXPECT_TRUE(is_slurm_helper("sleep 100000000"));
  EXPECT_TRUE(is_slurm_helper("/usr/bin/sleep 5"));
  EXPECT_TRUE(is_slurm_helper("/bin/bash /var/spool/slurmd/job1009248/slurm_script"));
  EXPECT_TRUE(is_slurm_helper("/bin/bash /slurm_script"));
  EXPECT_FALSE(is_slurm_helper("sleep infinity"));
  EXPECT_FALSE(is_slurm_helper("python3 train.py"));
  EXPECT_FALSE(is_slurm_helper("/bin/bash run.sh"));
  EXPECT_FALSE(is_slurm_helper("/bin/bash a\nb/slurm_script"));
  EXPECT_FALSE(is_slurm_helper("slurmstepd"));
}

TEST(CoreHasEnvPrefix, PrefixOfTheWholeEntry) {
  std::vector<std::string> names = {"ENABLE_PROFILING", "CEEMS_ENABLE_PERF"};
  EXPECT_TRUE(has_env_prefix("A=1\0CEEMS_ENABLE_PERF=false\0"s, names));
  EXPECT_TRUE(has_env_prefix("ENABLE_PROFILINGX=1\0"s, names));
  EXPECT_FALSE(has_env_prefix("A=1\0X_ENABLE_PROFILING=1\0"s, names));
  EXPECT_FALSE(has_env_prefix("", names));
}

TEST(CoreJoinCmdlinePerfCases, JoinsArgumentsWithSingleSpaces) {
  EXPECT_EQ(join_cmdline("/usr/bin/app\0--flag\0value\0"s), "/usr/bin/app --flag value");
  EXPECT_EQ(join_cmdline("a\0\0b"s), "a b");
  EXPECT_EQ(join_cmdline(""), "");
  EXPECT_EQ(join_cmdline("\0\0"s), "");
}

TEST(CoreIsSlurmHelperPerfCases, MatchesTheIgnorePattern) {
  EXPECT_TRUE(is_slurm_helper("slurmstepd: [1234.batch]"));
  EXPECT_TRUE(is_slurm_helper("/usr/sbin/slurmstepd:"));
  EXPECT_TRUE(is_slurm_helper("sleep 100000000"));
  EXPECT_TRUE(is_slurm_helper("/usr/bin/sleep 5"));
  EXPECT_TRUE(is_slurm_helper("/bin/bash /var/spool/slurmd/job01/slurm_script"));
  EXPECT_TRUE(is_slurm_helper("/bin/bash /slurm_script"));
  EXPECT_TRUE(is_slurm_helper("x sleep y sleep 3"));
}

TEST(CoreIsSlurmHelperPerfCases, LeavesUserProcessesAlone) {
  EXPECT_FALSE(is_slurm_helper("/home/user/a.out --steps 10"));
  EXPECT_FALSE(is_slurm_helper("slurmstepd [1234.batch]"));
  EXPECT_FALSE(is_slurm_helper("sleep infinity"));
  EXPECT_FALSE(is_slurm_helper("sleep  5"));
  EXPECT_FALSE(is_slurm_helper("/bin/bash ./run.sh"));
  EXPECT_FALSE(is_slurm_helper("/bin/bash /spool/job\n/slurm_script"));
  EXPECT_FALSE(is_slurm_helper("/bin/sh /spool/slurm_script"));
  EXPECT_FALSE(is_slurm_helper(""));
}

TEST(CoreHasEnvPrefixPerfCases, PresenceDecidesNotTheValue) {
  std::vector<std::string> names = {"CEEMS_ENABLE_PERF", "ENABLE_PERF"};
  EXPECT_TRUE(has_env_prefix("PATH=/bin\0CEEMS_ENABLE_PERF=0\0"s, names));
  EXPECT_TRUE(has_env_prefix("ENABLE_PERF=false\0"s, names));
  EXPECT_TRUE(has_env_prefix("ENABLE_PERF\0"s, names));
  // A prefix of the whole entry, as in the original.
  EXPECT_TRUE(has_env_prefix("ENABLE_PERFORMANCE=1\0"s, names));
  EXPECT_FALSE(has_env_prefix("X_ENABLE_PERF=1\0PATH=/bin\0"s, names));
  EXPECT_FALSE(has_env_prefix("", names));
  EXPECT_FALSE(has_env_prefix("ENABLE_PERF=1\0"s, {}));
}

}  // namespace
}  // namespace ceems
