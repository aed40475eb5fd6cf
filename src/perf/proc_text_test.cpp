#include "perf/proc_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ceems::perf {
namespace {

using namespace std::string_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseSysctlInts, WhitespaceSeparatedValues) {
  auto one = parse_sysctl_ints("2\n");
  ASSERT_TRUE(one.ok());
  EXPECT_THAT(*one, ElementsAre(2));
  auto many = parse_sysctl_ints(" 4\t-1  7\n");
  ASSERT_TRUE(many.ok());
  EXPECT_THAT(*many, ElementsAre(4, -1, 7));
  auto none = parse_sysctl_ints("\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParseSysctlInts, RejectsNonIntegers) {
  auto bad = parse_sysctl_ints("2 x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(bad.error().message(), HasSubstr("\"x\""));
  EXPECT_FALSE(parse_sysctl_ints("1.5").ok());
  EXPECT_FALSE(parse_sysctl_ints("99999999999999999999999").ok());
}

TEST(CheckPerfEventParanoid, AllowsUpToTwo) {
  EXPECT_TRUE(check_perf_event_paranoid("-1\n").ok());
  EXPECT_TRUE(check_perf_event_paranoid("2\n").ok());
  // Several values are never refused; only a single one is checked.
  EXPECT_TRUE(check_perf_event_paranoid("3 4\n").ok());
}

TEST(CheckPerfEventParanoid, RefusesAboveTwo) {
  Status st = check_perf_event_paranoid("3\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "perf_event_open syscall is not possible with perf_event_paranoid=3. Set it to value 2");
}

TEST(CheckPerfEventParanoid, GarbageIsAnOpeningError) {
  Status st = check_perf_event_paranoid("abc");
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("error opening /proc/sys/kernel/perf_event_paranoid file: "));
}

TEST(JoinCmdline, JoinsArgumentsWithSingleSpaces) {
  EXPECT_EQ(join_cmdline("/usr/bin/app\0--flag\0value\0"s), "/usr/bin/app --flag value");
  EXPECT_EQ(join_cmdline("a\0\0b"s), "a b");
  EXPECT_EQ(join_cmdline(""), "");
  EXPECT_EQ(join_cmdline("\0\0"s), "");
}

TEST(IsSlurmHelper, MatchesTheIgnorePattern) {
  EXPECT_TRUE(is_slurm_helper("slurmstepd: [1234.batch]"));
  EXPECT_TRUE(is_slurm_helper("/usr/sbin/slurmstepd:"));
  EXPECT_TRUE(is_slurm_helper("sleep 100000000"));
  EXPECT_TRUE(is_slurm_helper("/usr/bin/sleep 5"));
  EXPECT_TRUE(is_slurm_helper("/bin/bash /var/spool/slurmd/job01/slurm_script"));
  EXPECT_TRUE(is_slurm_helper("/bin/bash /slurm_script"));
  EXPECT_TRUE(is_slurm_helper("x sleep y sleep 3"));
}

TEST(IsSlurmHelper, LeavesUserProcessesAlone) {
  EXPECT_FALSE(is_slurm_helper("/home/user/a.out --steps 10"));
  EXPECT_FALSE(is_slurm_helper("slurmstepd [1234.batch]"));
  EXPECT_FALSE(is_slurm_helper("sleep infinity"));
  EXPECT_FALSE(is_slurm_helper("sleep  5"));
  EXPECT_FALSE(is_slurm_helper("/bin/bash ./run.sh"));
  EXPECT_FALSE(is_slurm_helper("/bin/bash /spool/job\n/slurm_script"));
  EXPECT_FALSE(is_slurm_helper("/bin/sh /spool/slurm_script"));
  EXPECT_FALSE(is_slurm_helper(""));
}

TEST(HasEnvPrefix, PresenceDecidesNotTheValue) {
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
}  // namespace ceems::perf
