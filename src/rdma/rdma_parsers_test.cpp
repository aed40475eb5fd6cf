#include "rdma/rdma_parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ceems::rdma {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// ---- qp mode ----

TEST(RdmaParseQpMode, ReadsMellanoxLinksOnly) {
  const std::string out =
      "link mlx5_0/1 auto type,pid on\n"
      "link mlx5_1/1 auto off\n"
      "link mlx5_2/1 auto pid\n"
      "link hfi1_0/1 auto off\n"
      "link rxe0/1 auto type on\n";
  EXPECT_THAT(parse_qp_mode(out),
              ElementsAre(Pair("mlx5_0/1", true), Pair("mlx5_1/1", false), Pair("mlx5_2/1", true)));
}

TEST(RdmaParseQpMode, OffMustBeExact) {
  // [a-z,]+ is greedy: "off,type" is not "off", so the link counts as on.
  EXPECT_THAT(parse_qp_mode("link mlx5_0/1 auto off,type\nlink mlx5_1/1 autooff"),
              ElementsAre(Pair("mlx5_0/1", true), Pair("mlx5_1/1", false)));
}

TEST(RdmaParseQpMode, SkipsMalformedLines) {
  const std::string out =
      "\n"
      "link mlx5_0/1\n"                                    // no auto field
      "link mlx5_1/1 auto OFF\n"                           // upper case is outside [a-z,]
      "link mlx5_2/1 auto 1\n"                             // digits too
      " link mlx5_3/1 auto off\n"                          // must start the line
      "dev mlx5_4 auto off\n"                              // not a link line
      "link MLX5_5/1 auto off\n"                           // link names are lower case
      "Link mlx5_6/1 auto off\n"                           // keyword is case-sensitive
      "link mlx5_7/1 cntn 4 pid 1 rx_write_requests 0\n";  // statistic output, no mode
  EXPECT_THAT(parse_qp_mode(out), IsEmpty());
}

TEST(RdmaParseQpMode, EmptyInput) {
  EXPECT_THAT(parse_qp_mode(""), IsEmpty());
  EXPECT_THAT(parse_qp_mode("\n\n"), IsEmpty());
}

TEST(RdmaParseQpMode, LastLineForALinkWins) {
  EXPECT_THAT(parse_qp_mode("link mlx5_0/1 auto off\nlink mlx5_0/1 auto type,pid on"),
              ElementsAre(Pair("mlx5_0/1", true)));
}

// ---- resource show mr / cq ----

TEST(RdmaParseMrLines, ReadsDevicePidAndLength) {
  const std::string out =
      "dev mlx5_0 mrn 4 mrlen 2097152 pdn 9 pid 46231 comm ib_write_bw\n"
      "dev mlx5_1 mrn 5 mrlen 4096 pdn 8 pid 7 comm ib_read_lat\n";
  auto lines = parse_mr_lines(out);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].device, "mlx5_0");
  EXPECT_EQ(lines[0].pid, "46231");
  EXPECT_EQ(lines[0].length, 2097152U);
  EXPECT_EQ(lines[1].device, "mlx5_1");
  EXPECT_EQ(lines[1].pid, "7");
  EXPECT_EQ(lines[1].length, 4096U);
}

TEST(RdmaParseMrLines, SkipsMalformedLines) {
  const std::string out =
      "dev mlx5_0 mrn 1 mrlen 4096 pdn 0 comm [ib_core]\n"            // kernel MR, no pid
      "dev mlx5_0 mrn 2 pdn 9 pid 100 comm x\n"                       // no mrlen
      "dev mlx5_0 mrn 3 mrlen 99999999999999999999 pid 100 comm x\n"  // length overflows
      "dev MLX mrn 4 mrlen 10 pid 100 comm x\n"                       // device not [a-z0-9_]
      "link mlx5_0/1 mrn 5 mrlen 10 pid 100 comm x\n"                 // not a dev line
      "garbage\n"
      "dev mlx5_0 mrn 6 mrlen 10 pid abc comm x\n"  // pid not numeric
      "dev mlx5_0 mrn 7 mrlen 10 pid 100 comm x";   // good, no newline
  auto lines = parse_mr_lines(out);
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].pid, "100");
  EXPECT_EQ(lines[0].length, 10U);
}

TEST(RdmaParseMrLines, MatchesLikeTheReferencePatterns) {
  // `.+?pid\s*(\d+)`: the first "pid" followed by digits, spaces optional.
  auto lines = parse_mr_lines("dev mlx5_0 mrlen 8 comm rapid pidx pid7 pid 9");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].pid, "7");
  // `^dev\s*(...)` accepts no space and stops at the first character outside the class.
  lines = parse_mr_lines("devmlx5_0-x mrlen 8 pid 3");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].device, "mlx5_0");
  // Tabs count as spaces, leading zeros are kept (pids are looked up as text).
  lines = parse_mr_lines("dev\tmlx5_0\tmrlen\t16\tpid\t0042");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].pid, "0042");
  EXPECT_EQ(lines[0].length, 16U);
}

TEST(RdmaParseCqLines, UsesCqeAsLengthAndIgnoresKernelCqs) {
  const std::string out =
      "dev mlx5_0 cqn 1 cqe 2047 users 5 poll-ctx WORKQUEUE adaptive-moderation on comm [ib_core]\n"
      "dev mlx5_0 cqn 8 cqe 4095 users 32 adaptive-moderation off ctxn 4 pid 3001 comm ib_write_bw\n"
      "dev mlx5_1 cqn 9 cqe 511 users 2 adaptive-moderation off ctxn 5 pid 3002 comm osu_bw\n"
      "dev mlx5_1 cqn 10 users 2 pid 3002 comm osu_bw\n";
  auto lines = parse_cq_lines(out);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].device, "mlx5_0");
  EXPECT_EQ(lines[0].pid, "3001");
  EXPECT_EQ(lines[0].length, 4095U);
  EXPECT_EQ(lines[1].device, "mlx5_1");
  EXPECT_EQ(lines[1].length, 511U);
}

// ---- resource show qp ----

TEST(RdmaParseQpLines, ReadsLinkAndPid) {
  const std::string out =
      "link mlx5_0/- lqpn 0 type SMI state RTS sq-psn 0 comm [ib_core]\n"
      "link mlx5_0/1 lqpn 101 type UD state RTS sq-psn 79 comm [ib_core]\n"
      "link mlx5_0/1 lqpn 813 rqpn 814 type RC state RTS rq-psn 9940491 sq-psn 2406910 "
      "path-mig-state MIGRATED pdn 8 pid 3001 comm ib_write_bw\n"
      "link mlx5_1/2 lqpn 7 rqpn 8 type RC state RTR rq-psn 1 sq-psn 0 pdn 9 pid 3002 comm osu_bw\n"
      "link mlx5_0/- lqpn 9 type GSI state RTS pid 3003 comm opensm\n"
      "dev mlx5_0 lqpn 10 pid 3004\n"
      "    LQPN: <813,816>\n";
  auto lines = parse_qp_lines(out);
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0].link, "mlx5_0/1");
  EXPECT_EQ(lines[0].pid, "3001");
  EXPECT_EQ(lines[1].link, "mlx5_1/2");
  EXPECT_EQ(lines[1].pid, "3002");
  // '-' is outside the link class, the capture stops before it.
  EXPECT_EQ(lines[2].link, "mlx5_0/");
  EXPECT_EQ(lines[2].pid, "3003");
}

TEST(RdmaParseQpLines, EmptyAndGarbage) {
  EXPECT_THAT(parse_qp_lines(""), IsEmpty());
  EXPECT_THAT(parse_qp_lines("link\nlink  \nlink - pid 5\nlink/ \n"), IsEmpty());
  // As with the reference pattern, the keyword "pid" itself can be taken for the link.
  auto lines = parse_qp_lines("link pid 5");
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].link, "pid");
  EXPECT_EQ(lines[0].pid, "5");
}

// ---- statistic qp show ----

TEST(RdmaParseQpStatsLines, ReadsHardwareCounters) {
  const std::string out =
      "link mlx5_0/1 cntn 4 qp-type RC pid 3001 comm ib_write_bw rx_write_requests 0 rx_read_requests 12 "
      "rx_atomic_requests 3 out_of_buffer 0 out_of_sequence 0 duplicate_request 0 rnr_nak_retry_err 0 "
      "packet_seq_err 0 implied_nak_seq_err 0 local_ack_timeout_err 0 req_cqe_error 1 req_cqe_flush_error 2 "
      "req_remote_access_errors 4 req_remote_invalid_request 5 resp_cqe_error 6 resp_cqe_flush_error 7 "
      "resp_local_length_error 8 resp_remote_access_errors 9\n"
      "    LQPN: <813,816,818>\n"
      "link mlx5_0/1 cntn 5 qp-type RC pid 3002 comm ib_write_bw rx_write_requests 41988882\n";
  auto lines = parse_qp_stats_lines(out);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].link, "mlx5_0/1");
  EXPECT_EQ(lines[0].pid, "3001");
  EXPECT_THAT(lines[0].counters,
              ElementsAre(Pair("req_cqe_error", 1U), Pair("req_cqe_flush_error", 2U),
                          Pair("req_remote_access_errors", 4U), Pair("req_remote_invalid_request", 5U),
                          Pair("resp_cqe_error", 6U), Pair("resp_cqe_flush_error", 7U),
                          Pair("resp_local_length_error", 8U), Pair("resp_remote_access_errors", 9U),
                          Pair("rx_atomic_requests", 3U), Pair("rx_read_requests", 12U),
                          Pair("rx_write_requests", 0U)));
  EXPECT_EQ(lines[1].pid, "3002");
  EXPECT_THAT(lines[1].counters, ElementsAre(Pair("rx_write_requests", 41988882U)));
}

TEST(RdmaParseQpStatsLines, SkipsMalformedCountersAndLines) {
  const std::string out =
      "link mlx5_0/1 cntn 4 qp-type RC comm x rx_write_requests 5\n"                      // no pid
      "    LQPN: <1,2> pid 3\n"                                                           // no link
      "link mlx5_0/1 pid 10 rx_write_requests x rx_read_requests 99999999999999999999\n"  // bad values
      "link mlx5_0/1 pid 11 rx_write_requests 1\r\n";
  auto lines = parse_qp_stats_lines(out);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].pid, "10");
  EXPECT_THAT(lines[0].counters, IsEmpty());
  EXPECT_EQ(lines[1].pid, "11");
  EXPECT_THAT(lines[1].counters, ElementsAre(Pair("rx_write_requests", 1U)));
}

// ---- small helpers ----

TEST(RdmaSplitLink, NeedsExactlyOneSlash) {
  auto l = split_link("mlx5_0/1");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->device, "mlx5_0");
  EXPECT_EQ(l->port, "1");
  l = split_link("mlx5_0/");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->port, "");
  EXPECT_FALSE(split_link("mlx5_0").has_value());
  EXPECT_FALSE(split_link("a/b/c").has_value());
  EXPECT_FALSE(split_link("").has_value());
}

TEST(RdmaParsePortState, ReadsTheId) {
  EXPECT_EQ(parse_port_state("4: ACTIVE\n"), 4U);
  EXPECT_EQ(parse_port_state("1: DOWN"), 1U);
  EXPECT_EQ(parse_port_state(" 5 :ACT_DEFER "), 5U);
  EXPECT_EQ(parse_port_state("0: NOP"), 0U);
  EXPECT_EQ(parse_port_state("4294967295: X"), 4294967295U);
}

TEST(RdmaParsePortState, RejectsMalformedContent) {
  EXPECT_FALSE(parse_port_state("").has_value());
  EXPECT_FALSE(parse_port_state("ACTIVE").has_value());
  EXPECT_FALSE(parse_port_state("4").has_value());
  EXPECT_FALSE(parse_port_state("4: ACTIVE: x").has_value());
  EXPECT_FALSE(parse_port_state(": ACTIVE").has_value());
  EXPECT_FALSE(parse_port_state("-4: ACTIVE").has_value());
  EXPECT_FALSE(parse_port_state("+4: ACTIVE").has_value());
  EXPECT_FALSE(parse_port_state("4x: ACTIVE").has_value());
  EXPECT_FALSE(parse_port_state("4294967296: X").has_value());
}

// ---- aggregation ----

TEST(RdmaAggregateResources, SumsPerUnitAndKeepsTheFirstDevice) {
  const PidUnits units = {{"10", "job1"}, {"11", "job1"}, {"20", "job2"}};
  std::vector<ResourceLine> lines = {
      {"mlx5_0", "10", 100},  {"mlx5_1", "11", 50}, {"mlx5_1", "20", 7},
      {"mlx5_0", "99", 1000}, {"mlx5_0", "010", 1},
  };
  auto totals = aggregate_resources(lines, units);
  ASSERT_EQ(totals.size(), 2U);
  EXPECT_EQ(totals["job1"].count, 2U);
  EXPECT_EQ(totals["job1"].length, 150U);
  EXPECT_EQ(totals["job1"].device, "mlx5_0");
  EXPECT_EQ(totals["job2"].count, 1U);
  EXPECT_EQ(totals["job2"].length, 7U);
  EXPECT_EQ(totals["job2"].device, "mlx5_1");
}

TEST(RdmaAggregateQps, CountsAndWaitsForAWellFormedLink) {
  const PidUnits units = {{"10", "job1"}, {"20", "job2"}, {"30", "job3"}};
  std::vector<QpLine> qps = {
      {"mlx5_0", "10"},    // malformed: job1 skipped until a good line
      {"mlx5_0/1", "10"},  //
      {"mlx5_1/2", "10"},  // later lines only count
      {"mlx5_0/1", "20"},  //
      {"mlx5_0/1", "99"},  // not a unit
      {"a/b/c", "30"},     // never well-formed
  };
  std::vector<QpStatsLine> stats = {
      {"mlx5_0/1", "10", {{"rx_write_requests", 5}, {"rx_read_requests", 0}}},
      {"mlx5_0/1", "10", {{"rx_write_requests", 6}}},  // last line wins
      {"mlx5_2/1", "30", {{"resp_cqe_error", 3}}},     // creates job3 from this line's link
      {"mlx5_0/1", "99", {{"resp_cqe_error", 3}}},
  };
  auto totals = aggregate_qps(qps, stats, units);
  ASSERT_EQ(totals.size(), 3U);
  EXPECT_EQ(totals["job1"].count, 2U);
  EXPECT_EQ(totals["job1"].device, "mlx5_0");
  EXPECT_EQ(totals["job1"].port, "1");
  EXPECT_THAT(totals["job1"].counters,
              ElementsAre(Pair("rx_read_requests", 0U), Pair("rx_write_requests", 6U)));
  EXPECT_EQ(totals["job2"].count, 1U);
  EXPECT_THAT(totals["job2"].counters, IsEmpty());
  EXPECT_EQ(totals["job3"].count, 0U);
  EXPECT_EQ(totals["job3"].device, "mlx5_2");
  EXPECT_THAT(totals["job3"].counters, ElementsAre(Pair("resp_cqe_error", 3U)));
}

}  // namespace
}  // namespace ceems::rdma
