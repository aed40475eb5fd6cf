#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/testing/fake_runner.h"
#include "core/testing/recording_privileges.h"
#include "core/testing/test_support.h"
#include "rdma/rdma.h"

namespace ceems::rdma {
namespace {

using test_support::FakeRunner;
using test_support::LogCapture;
using test_support::RecordingPrivileges;
using test_support::render;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kTestData = CEEMS_TEST_DATA_DIR;
constexpr const char* kRdma = "/opt/iproute2/sbin/rdma";

const char* const kQpMode =
    "link mlx5_0/1 auto off\n"
    "link mlx5_1/1 auto type,pid on\n"
    "link rxe0/1 auto off\n";

const char* const kMr =
    "dev mlx5_0 mrn 1 mrlen 4096 pdn 0 comm [ib_core]\n"
    "dev mlx5_0 mrn 4 mrlen 2097152 pdn 9 pid 3001 comm ib_write_bw\n"
    "dev mlx5_0 mrn 5 mrlen 1048576 pdn 8 pid 3002 comm ib_write_bw\n"
    "dev mlx5_1 mrn 6 mrlen 4096 pdn 3 pid 3003 comm osu_bw\n"
    "dev mlx5_0 mrn 7 mrlen 8192 pdn 3 pid 4000 comm sshd\n";

const char* const kCq =
    "dev mlx5_0 cqn 1 cqe 2047 users 5 poll-ctx WORKQUEUE adaptive-moderation on comm [ib_core]\n"
    "dev mlx5_0 cqn 8 cqe 4095 users 32 adaptive-moderation off ctxn 4 pid 3001 comm ib_write_bw\n"
    "dev mlx5_0 cqn 9 cqe 255 users 32 adaptive-moderation off ctxn 5 pid 3002 comm ib_write_bw\n"
    "dev mlx5_1 cqn 3 cqe 1023 users 2 adaptive-moderation off ctxn 1 pid 3003 comm osu_bw\n";

const char* const kQp =
    "link mlx5_0/- lqpn 0 type SMI state RTS sq-psn 0 comm [ib_core]\n"
    "link mlx5_0/1 lqpn 101 type UD state RTS sq-psn 79 comm [ib_core]\n"
    "link mlx5_0/1 lqpn 813 rqpn 814 type RC state RTS rq-psn 9940491 sq-psn 2406910 path-mig-state MIGRATED "
    "pdn 8 pid 3001 comm ib_write_bw\n"
    "link mlx5_0/1 lqpn 814 rqpn 813 type RC state RTR rq-psn 2406926 sq-psn 0 path-mig-state MIGRATED "
    "pdn 9 pid 3002 comm ib_write_bw\n"
    "link mlx5_0/1 lqpn 815 rqpn 816 type RC state RTS rq-psn 13129518 sq-psn 0 path-mig-state MIGRATED "
    "pdn 9 pid 3001 comm ib_write_bw\n"
    "link mlx5_1/1 lqpn 20 rqpn 21 type RC state RTS rq-psn 1 sq-psn 2 path-mig-state MIGRATED "
    "pdn 3 pid 3003 comm osu_bw\n";

const char* const kQpStats =
    "link mlx5_0/1 cntn 4 qp-type RC pid 3001 comm ib_write_bw rx_write_requests 41988882 rx_read_requests 0 "
    "rx_atomic_requests 0 out_of_buffer 0 out_of_sequence 0 duplicate_request 0 rnr_nak_retry_err 0 "
    "packet_seq_err 0 implied_nak_seq_err 0 local_ack_timeout_err 0 req_cqe_error 2 resp_cqe_flush_error 0\n"
    "    LQPN: <813,815>\n"
    "link mlx5_1/1 cntn 5 qp-type RC pid 3003 comm osu_bw rx_write_requests 0 rx_read_requests 512 "
    "rx_atomic_requests 0\n"
    "    LQPN: <20>\n";

// Recorded `rdma` output by argument list; other programs are not run.
void record_all(FakeRunner& runner) {
  runner.only_program(kRdma);
  runner.answer("statistic qp mode", kQpMode);
  runner.answer("statistic qp set link mlx5_0/1 auto type,pid on", "");
  runner.answer("statistic qp set link mlx5_0/1 auto off", "");
  runner.answer("resource show mr", kMr);
  runner.answer("resource show cq", kCq);
  runner.answer("resource show qp", kQp);
  runner.answer("statistic qp show", kQpStats);
}

std::vector<ComputeUnit> two_units() {
  std::vector<ComputeUnit> units(2);
  units[0].id = units[0].uuid = "1001";
  units[0].procs = {3001, 3002};
  units[1].id = units[1].uuid = "1002";
  units[1].procs = {3003};
  return units;
}

Options slurm_options(std::string cmd = kRdma) { return {"slurm", "node1", std::move(cmd)}; }

HostFs fixture_host() { return {kTestData + "/proc", kTestData + "/sys", kTestData + "/cgroup"}; }

std::unique_ptr<UnitSubCollector> make(const HostFs& host, CommandRunner& runner, Privileges& privileges,
                                       Options opts = slurm_options()) {
  auto c = make_collector(host, runner, privileges, std::move(opts), {});
  EXPECT_TRUE(c.ok()) << c.error().message();
  return c.ok() ? std::move(*c) : nullptr;
}

// The sysfs fixture: one mlx5 device, one port; port_rcv_constraint_errors is 0.
const std::string kPortCounters =
    R"(# HELP ceems_rdma_port_constraint_errors_transmitted_total Number of packets not transmitted from the switch physical port
# TYPE ceems_rdma_port_constraint_errors_transmitted_total counter
ceems_rdma_port_constraint_errors_transmitted_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 3
# HELP ceems_rdma_port_data_received_bytes_total Number of data octets received on all links
# TYPE ceems_rdma_port_data_received_bytes_total counter
ceems_rdma_port_data_received_bytes_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 4e+06
# HELP ceems_rdma_port_data_transmitted_bytes_total Number of data octets transmitted on all links
# TYPE ceems_rdma_port_data_transmitted_bytes_total counter
ceems_rdma_port_data_transmitted_bytes_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 1e+07
# HELP ceems_rdma_port_discards_received_total Number of inbound packets discarded by the port because the port is down or congested
# TYPE ceems_rdma_port_discards_received_total counter
ceems_rdma_port_discards_received_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 7
# HELP ceems_rdma_port_discards_transmitted_total Number of outbound packets discarded by the port because the port is down or congested
# TYPE ceems_rdma_port_discards_transmitted_total counter
ceems_rdma_port_discards_transmitted_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 11
# HELP ceems_rdma_port_errors_received_total Number of packets containing an error that were received on this port
# TYPE ceems_rdma_port_errors_received_total counter
ceems_rdma_port_errors_received_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 2
# HELP ceems_rdma_port_packets_received_total Number of packets received on all VLs by this port (including errors)
# TYPE ceems_rdma_port_packets_received_total counter
ceems_rdma_port_packets_received_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 123456
# HELP ceems_rdma_port_packets_transmitted_total Number of packets transmitted on all VLs from this port (including errors)
# TYPE ceems_rdma_port_packets_transmitted_total counter
ceems_rdma_port_packets_transmitted_total{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 654321
)";

const std::string kStateId =
    R"(# HELP ceems_rdma_state_id State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)
# TYPE ceems_rdma_state_id gauge
ceems_rdma_state_id{device="mlx5_0",hostname="node1",manager="slurm",port="1"} 4
)";

TEST(RdmaCollector, EndToEnd) {
  FakeRunner runner;
  record_all(runner);
  RecordingPrivileges privileges;
  LogCapture logs;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->capabilities(), ElementsAre("cap_setuid", "cap_setgid"));
  EXPECT_THAT(logs.text(), HasSubstr("Per-PID QP stats available"));
  EXPECT_THAT(runner.call_args(), ElementsAre("statistic qp mode"));
  runner.clear_calls();

  MetricBatch batch;
  auto units = two_units();
  ASSERT_TRUE(c->update(units, batch).ok());

  const std::string expected = std::string(R"(# HELP ceems_rdma_cqe_len_active Length of active CQs
# TYPE ceems_rdma_cqe_len_active gauge
ceems_rdma_cqe_len_active{device="mlx5_0",hostname="node1",manager="slurm",port="",uuid="1001"} 4350
ceems_rdma_cqe_len_active{device="mlx5_1",hostname="node1",manager="slurm",port="",uuid="1002"} 1023
# HELP ceems_rdma_cqs_active Number of active CQs
# TYPE ceems_rdma_cqs_active gauge
ceems_rdma_cqs_active{device="mlx5_0",hostname="node1",manager="slurm",port="",uuid="1001"} 2
ceems_rdma_cqs_active{device="mlx5_1",hostname="node1",manager="slurm",port="",uuid="1002"} 1
# HELP ceems_rdma_mrs_active Number of active MRs
# TYPE ceems_rdma_mrs_active gauge
ceems_rdma_mrs_active{device="mlx5_0",hostname="node1",manager="slurm",port="",uuid="1001"} 2
ceems_rdma_mrs_active{device="mlx5_1",hostname="node1",manager="slurm",port="",uuid="1002"} 1
# HELP ceems_rdma_mrs_len_active Length of active MRs
# TYPE ceems_rdma_mrs_len_active gauge
ceems_rdma_mrs_len_active{device="mlx5_0",hostname="node1",manager="slurm",port="",uuid="1001"} 3.145728e+06
ceems_rdma_mrs_len_active{device="mlx5_1",hostname="node1",manager="slurm",port="",uuid="1002"} 4096
)") + kPortCounters + R"(# HELP ceems_rdma_qps_active Number of active QPs
# TYPE ceems_rdma_qps_active gauge
ceems_rdma_qps_active{device="mlx5_0",hostname="node1",manager="slurm",port="1",uuid="1001"} 3
ceems_rdma_qps_active{device="mlx5_1",hostname="node1",manager="slurm",port="1",uuid="1002"} 1
# HELP ceems_rdma_req_cqe_error Number of times requester detected CQEs completed with errors
# TYPE ceems_rdma_req_cqe_error counter
ceems_rdma_req_cqe_error{device="mlx5_0",hostname="node1",manager="slurm",port="1",uuid="1001"} 2
# HELP ceems_rdma_rx_read_requests Number of received read requests for the associated QPs
# TYPE ceems_rdma_rx_read_requests counter
ceems_rdma_rx_read_requests{device="mlx5_1",hostname="node1",manager="slurm",port="1",uuid="1002"} 512
# HELP ceems_rdma_rx_write_requests Number of received write requests for the associated QPs
# TYPE ceems_rdma_rx_write_requests counter
ceems_rdma_rx_write_requests{device="mlx5_0",hostname="node1",manager="slurm",port="1",uuid="1001"} 4.1988882e+07
)" + kStateId;
  EXPECT_EQ(render(batch), expected);

  // Only the link that was off is switched on, as root inside the privileged context.
  bool saw_set = false;
  for (const Command& call : runner.calls()) {
    const std::string args = FakeRunner::args(call);
    EXPECT_EQ(call.timeout, std::chrono::milliseconds(5000)) << args;
    if (args.starts_with("statistic qp set")) {
      EXPECT_EQ(args, "statistic qp set link mlx5_0/1 auto type,pid on");
      EXPECT_EQ(call.uid, 0U);
      EXPECT_EQ(call.gid, 0U);
      saw_set = true;
    } else {
      EXPECT_FALSE(call.uid.has_value()) << args;
    }
  }
  EXPECT_TRUE(saw_set);
  EXPECT_THAT(privileges.contexts(), ElementsAre("rdma_exec_cmd"));
  EXPECT_THAT(privileges.last_caps(), ElementsAre("cap_setuid", "cap_setgid"));
  EXPECT_THAT(runner.call_args(), ::testing::UnorderedElementsAre(
                                      "statistic qp set link mlx5_0/1 auto type,pid on", "resource show mr",
                                      "resource show cq", "resource show qp", "statistic qp show"));

  // The second scrape does not switch the link on again.
  runner.clear_calls();
  MetricBatch again;
  ASSERT_TRUE(c->update(units, again).ok());
  EXPECT_EQ(render(again), expected);
  for (const std::string& args : runner.call_args())
    EXPECT_FALSE(args.starts_with("statistic qp set")) << args;
}

TEST(RdmaCollector, StopSwitchesOffOnlyWhatItSwitchedOn) {
  FakeRunner runner;
  record_all(runner);
  RecordingPrivileges privileges;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(two_units(), batch).ok());
  runner.clear_calls();
  privileges.clear();

  c->stop();
  auto calls = runner.calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(FakeRunner::args(calls[0]), "statistic qp set link mlx5_0/1 auto off");
  EXPECT_EQ(calls[0].uid, 0U);
  EXPECT_EQ(calls[0].gid, 0U);
  EXPECT_THAT(privileges.contexts(), ElementsAre("rdma_exec_cmd"));

  runner.clear_calls();
  c->stop();
  EXPECT_THAT(runner.calls(), IsEmpty());
}

TEST(RdmaCollector, StopWithoutScrapeDoesNothing) {
  FakeRunner runner;
  record_all(runner);
  NoPrivileges privileges;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  runner.clear_calls();
  c->stop();
  EXPECT_THAT(runner.calls(), IsEmpty());
}

TEST(RdmaCollector, FailedSwitchIsLoggedAndRetried) {
  FakeRunner runner;
  record_all(runner);
  runner.forget("statistic qp set link mlx5_0/1 auto type,pid on");
  NoPrivileges privileges;
  LogCapture logs;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(two_units(), batch).ok());
  EXPECT_THAT(logs.text(), HasSubstr("Failed to enable Per-PID QP stats"));
  EXPECT_THAT(logs.text(), HasSubstr("mlx5_0/1"));
  // Everything else is still reported.
  EXPECT_THAT(render(batch), HasSubstr("ceems_rdma_qps_active{"));

  runner.clear_calls();
  MetricBatch again;
  ASSERT_TRUE(c->update(two_units(), again).ok());
  EXPECT_THAT(runner.call_args(), ::testing::Contains("statistic qp set link mlx5_0/1 auto type,pid on"));
  // Never switched on, so nothing to switch off.
  runner.clear_calls();
  c->stop();
  EXPECT_THAT(runner.calls(), IsEmpty());
}

TEST(RdmaCollector, NoInfinibandDirectoryMeansNoData) {
  test_support::TempTree tree;
  tree.mkdir("sys/class/net");
  HostFs host(tree.path("proc"), tree.path("sys"), tree.path("cgroup"));
  FakeRunner runner;
  record_all(runner);
  NoPrivileges privileges;
  LogCapture logs;
  auto c = make(host, runner, privileges);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(logs.text(), HasSubstr("RDMA devices do not exist. RDMA collector wont return any data"));
  EXPECT_THAT(c->capabilities(), IsEmpty());

  MetricBatch batch;
  Status st = c->update(two_units(), batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);
  EXPECT_EQ(batch.sample_count(), 0U);
  c->stop();
  EXPECT_THAT(runner.calls(), IsEmpty());
}

TEST(RdmaCollector, FailingRdmaCommandKeepsSysfsCounters) {
  FakeRunner runner;  // no recorded output: every command exits with status 1
  runner.only_program(kRdma);
  NoPrivileges privileges;
  LogCapture logs;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(logs.text(), HasSubstr("Failed to get RDMA qp mode"));
  EXPECT_THAT(c->capabilities(), IsEmpty());

  MetricBatch batch;
  ASSERT_TRUE(c->update(two_units(), batch).ok());
  EXPECT_EQ(render(batch), kPortCounters + kStateId);
  const std::string text = logs.text();
  EXPECT_THAT(text, HasSubstr("Failed to fetch RDMA MR stats"));
  EXPECT_THAT(text, HasSubstr("Failed to fetch RDMA CQ stats"));
  EXPECT_THAT(text, HasSubstr("Failed to fetch RDMA QP stats"));
  // Without per-PID counters the statistics are never asked for.
  for (const std::string& args : runner.call_args()) EXPECT_THAT(args, Not(HasSubstr("statistic qp show")));
}

TEST(RdmaCollector, OneFailingGroupDoesNotHideTheOthers) {
  FakeRunner runner;
  record_all(runner);
  runner.forget("resource show mr");
  runner.forget("statistic qp show");
  NoPrivileges privileges;
  LogCapture logs;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(two_units(), batch).ok());
  const std::string text = render(batch);
  EXPECT_THAT(text, Not(HasSubstr("ceems_rdma_mrs_active")));
  EXPECT_THAT(text, Not(HasSubstr("ceems_rdma_rx_write_requests")));
  EXPECT_THAT(text, HasSubstr("ceems_rdma_cqs_active{device=\"mlx5_0\",hostname=\"node1\",manager=\"slurm\","
                              "port=\"\",uuid=\"1001\"} 2"));
  EXPECT_THAT(text, HasSubstr("ceems_rdma_qps_active{device=\"mlx5_0\",hostname=\"node1\",manager=\"slurm\","
                              "port=\"1\",uuid=\"1001\"} 3"));
  EXPECT_THAT(text, HasSubstr("ceems_rdma_state_id{"));
  EXPECT_THAT(logs.text(), HasSubstr("Failed to fetch RDMA MR stats"));
  EXPECT_THAT(logs.text(), HasSubstr("Failed to fetch RDMA QP hardware counters"));
}

TEST(RdmaCollector, NonMellanoxLinksNeedNoPrivileges) {
  FakeRunner runner;
  record_all(runner);
  runner.answer("statistic qp mode", "link rxe0/1 auto off\nlink hfi1_0/1 auto type,pid on\n");
  RecordingPrivileges privileges;
  LogCapture logs;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(c->capabilities(), IsEmpty());
  EXPECT_THAT(logs.text(), Not(HasSubstr("Per-PID QP stats available")));
  MetricBatch batch;
  ASSERT_TRUE(c->update(two_units(), batch).ok());
  EXPECT_THAT(privileges.contexts(), IsEmpty());
  EXPECT_THAT(runner.call_args(), Not(::testing::Contains("statistic qp show")));
  const std::string text = render(batch);
  EXPECT_THAT(text, HasSubstr("ceems_rdma_qps_active{"));
  EXPECT_THAT(text, Not(HasSubstr("ceems_rdma_rx_")));
}

TEST(RdmaCollector, UnitsWithoutRdmaResourcesAreNotReported) {
  FakeRunner runner;
  record_all(runner);
  NoPrivileges privileges;
  auto c = make(fixture_host(), runner, privileges);
  ASSERT_NE(c, nullptr);
  std::vector<ComputeUnit> units(1);
  units[0].uuid = "2000";
  units[0].procs = {5555};
  MetricBatch batch;
  ASSERT_TRUE(c->update(units, batch).ok());
  EXPECT_EQ(render(batch), kPortCounters + kStateId);
}

TEST(RdmaCollector, MissingRdmaBinaryLeavesSysfsCounters) {
  test_support::TempTree empty_path;
  const char* old = std::getenv("PATH");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("PATH", empty_path.root().c_str(), 1);
  FakeRunner runner;
  record_all(runner);
  NoPrivileges privileges;
  LogCapture logs;
  auto c = make(fixture_host(), runner, privileges, slurm_options(""));
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(logs.text(), HasSubstr("rdma command not found"));
  MetricBatch batch;
  ASSERT_TRUE(c->update(two_units(), batch).ok());
  EXPECT_EQ(render(batch), kPortCounters + kStateId);
  EXPECT_THAT(runner.calls(), IsEmpty());
}

TEST(RdmaCollector, MissingCounterFilesReadAsZero) {
  test_support::TempTree tree;
  tree.write("sys/class/infiniband/mlx4_0/ports/2/counters/port_rcv_packets", "42\n");
  tree.write("sys/class/infiniband/mlx4_0/ports/2/state", "1: DOWN\n");
  tree.write("sys/class/infiniband/mlx4_0/ports/not_a_port/counters/port_rcv_packets", "7\n");
  tree.write("sys/class/infiniband/mlx4_1/ports/1/counters/port_xmit_packets", "N/A (no PMA)\n");
  tree.write("sys/class/infiniband/mlx4_1/ports/1/state", "garbage\n");
  tree.mkdir("sys/class/infiniband/broken");
  HostFs host(tree.path("proc"), tree.path("sys"), tree.path("cgroup"));
  FakeRunner runner;
  NoPrivileges privileges;
  auto c = make(host, runner, privileges);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update({}, batch).ok());
  EXPECT_EQ(
      render(batch),
      "# HELP ceems_rdma_port_packets_received_total Number of packets received on all VLs by this port "
      "(including errors)\n"
      "# TYPE ceems_rdma_port_packets_received_total counter\n"
      "ceems_rdma_port_packets_received_total{device=\"mlx4_0\",hostname=\"node1\",manager=\"slurm\","
      "port=\"2\"} 42\n"
      "# HELP ceems_rdma_state_id State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, "
      "4: active, 5: act defer)\n"
      "# TYPE ceems_rdma_state_id gauge\n"
      "ceems_rdma_state_id{device=\"mlx4_0\",hostname=\"node1\",manager=\"slurm\",port=\"2\"} 1\n");
}

TEST(RdmaRegisterRdmaFlags, RegistersBothFlags) {
  FlagSet flags("ceems_exporter");
  register_rdma_flags(flags);
  ASSERT_TRUE(flags.parse({"--collector.rdma.stats", "--collector.rdma.cmd=/usr/sbin/rdma"}).ok());
  EXPECT_TRUE(flags.get_bool("collector.rdma.stats"));
  EXPECT_EQ(flags.get_string("collector.rdma.cmd"), "/usr/sbin/rdma");

  FlagSet defaults("ceems_exporter");
  register_rdma_flags(defaults);
  ASSERT_TRUE(defaults.parse({}).ok());
  EXPECT_FALSE(defaults.get_bool("collector.rdma.stats"));
  EXPECT_EQ(defaults.get_string("collector.rdma.cmd"), "");
  const std::string usage = defaults.usage();
  EXPECT_THAT(usage, HasSubstr("Enables collection of RDMA stats (default: disabled)"));
  EXPECT_THAT(usage, Not(HasSubstr("collector.rdma.cmd")));
}

}  // namespace
}  // namespace ceems::rdma
