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

TEST(PerfParseSysctlInts, WhitespaceSeparatedValues) {
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

TEST(PerfParseSysctlInts, RejectsNonIntegers) {
  auto bad = parse_sysctl_ints("2 x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(bad.error().message(), HasSubstr("\"x\""));
  EXPECT_FALSE(parse_sysctl_ints("1.5").ok());
  EXPECT_FALSE(parse_sysctl_ints("99999999999999999999999").ok());
}

TEST(PerfCheckPerfEventParanoid, AllowsUpToTwo) {
  EXPECT_TRUE(check_perf_event_paranoid("-1\n").ok());
  EXPECT_TRUE(check_perf_event_paranoid("2\n").ok());
  // Several values are never refused; only a single one is checked.
  EXPECT_TRUE(check_perf_event_paranoid("3 4\n").ok());
}

TEST(PerfCheckPerfEventParanoid, RefusesAboveTwo) {
  Status st = check_perf_event_paranoid("3\n");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message(),
            "perf_event_open syscall is not possible with perf_event_paranoid=3. Set it to value 2");
}

TEST(PerfCheckPerfEventParanoid, GarbageIsAnOpeningError) {
  Status st = check_perf_event_paranoid("abc");
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("error opening /proc/sys/kernel/perf_event_paranoid file: "));
}

}  // namespace
}  // namespace ceems::perf
