#include "ipmi/ipmi_dcmi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ipmi/testing/dcmi_fixture.h"

// The ipmi_dcmi collector at scrape time: execution per mode, caching, native mode.
namespace ceems {
namespace {

using namespace ceems::ipmi::testing;  // NOLINT(google-build-using-namespace): the fixture and its outputs
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// ---- per-scrape execution ----

TEST(IpmiDcmiUpdate, TestModeRunsTheCommandPlainly) {
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/e2e/ipmi-dcmi-wrapper"});
  f.runner.fallback([](const Command&) { return FakeRunner::ok(kFreeIpmiOutput); });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  ASSERT_EQ(f.runner.calls().size(), 1u);
  EXPECT_THAT(f.runner.calls()[0].argv, ElementsAre("/e2e/ipmi-dcmi-wrapper", ""));
  EXPECT_FALSE(f.runner.calls()[0].uid);
  EXPECT_TRUE(f.runner.calls()[0].merge_stderr);
  EXPECT_TRUE(f.privileges.contexts().empty());
  EXPECT_EQ(render(batch),
            "# HELP ceems_ipmi_dcmi_avg_watts Average Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_avg_watts gauge\n"
            "ceems_ipmi_dcmi_avg_watts{hostname=\"node1\"} 348\n"
            "# HELP ceems_ipmi_dcmi_current_watts Current Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_current_watts gauge\n"
            "ceems_ipmi_dcmi_current_watts{hostname=\"node1\"} 332\n"
            "# HELP ceems_ipmi_dcmi_max_watts Maximum Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_max_watts gauge\n"
            "ceems_ipmi_dcmi_max_watts{hostname=\"node1\"} 504\n"
            "# HELP ceems_ipmi_dcmi_min_watts Minimum Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_min_watts gauge\n"
            "ceems_ipmi_dcmi_min_watts{hostname=\"node1\"} 68\n");
}

TEST(IpmiDcmiUpdate, CapmcFixtureWithEmptyHostname) {
  Fixture f(
      {"--collector.ipmi_dcmi.test-mode", "--collector.ipmi.dcmi.cmd=/e2e/bin/capmc get_system_power -w 600"},
      "node1", /*empty_hostname=*/true);
  f.runner.fallback([](const Command&) { return FakeRunner::ok(kCapmcOutput); });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(render(batch),
            "# HELP ceems_ipmi_dcmi_avg_watts Average Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_avg_watts gauge\n"
            "ceems_ipmi_dcmi_avg_watts{hostname=\"\"} 5942\n"
            "# HELP ceems_ipmi_dcmi_current_watts Current Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_current_watts gauge\n"
            "ceems_ipmi_dcmi_current_watts{hostname=\"\"} 5942\n"
            "# HELP ceems_ipmi_dcmi_max_watts Maximum Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_max_watts gauge\n"
            "ceems_ipmi_dcmi_max_watts{hostname=\"\"} 6132\n"
            "# HELP ceems_ipmi_dcmi_min_watts Minimum Power consumption in watts\n"
            "# TYPE ceems_ipmi_dcmi_min_watts gauge\n"
            "ceems_ipmi_dcmi_min_watts{hostname=\"\"} 5748\n");
}

TEST(IpmiDcmiUpdate, CapmcBehindAWrapperIsParsedAsText) {
  Fixture f(
      {"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/usr/bin/env capmc get_system_power"});
  f.runner.fallback([](const Command&) { return FakeRunner::ok(kCapmcOutput); });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch batch;
  Status st = c->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("could not find value in output"));
}

TEST(IpmiDcmiUpdate, CapModeRunsAsRootInsideThePrivilegedContext) {
  Fixture f({"--collector.ipmi_dcmi.cmd=/usr/sbin/ipmi-dcmi --get-system-power-statistics"});
  RecordingPrivileges* privileges = &f.privileges;
  int depth_at_run = -1;
  f.runner.fallback([&](const Command&) {
    depth_at_run = privileges->depth();
    return FakeRunner::ok(kFreeIpmiOutput);
  });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->mode(), IpmiExecMode::kCap);
  f.runner.clear_calls();
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 4u);
  EXPECT_THAT(f.privileges.contexts(), ElementsAre("ipmi_exec_cmd"));
  EXPECT_THAT(f.privileges.last_caps(), ElementsAre("cap_setuid", "cap_setgid"));
  ASSERT_EQ(f.runner.calls().size(), 1u);
  const Command cmd = f.runner.calls()[0];
  EXPECT_EQ(cmd.uid, 0u);
  EXPECT_EQ(cmd.gid, 0u);
  EXPECT_EQ(cmd.timeout, kIpmiCommandTimeout);
  EXPECT_THAT(cmd.argv, ElementsAre("/usr/sbin/ipmi-dcmi", "--get-system-power-statistics"));
  EXPECT_EQ(depth_at_run, 1);  // the fork happens on the privileged thread
}

TEST(IpmiDcmiUpdate, SudoModePrefixesSudo) {
  Fixture f({"--collector.ipmi_dcmi.cmd=/usr/bin/ipmitool dcmi power reading"});
  bool probing = true;
  f.runner.fallback([&](const Command& cmd) -> Result<CommandOutput> {
    if (cmd.argv.front() != "sudo") return Error(ErrorKind::kIo, "exit status 1");
    return FakeRunner::ok(probing ? "" : kFreeIpmiOutput);
  });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->mode(), IpmiExecMode::kSudo);
  probing = false;
  f.runner.clear_calls();
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 4u);
  ASSERT_EQ(f.runner.calls().size(), 1u);
  EXPECT_THAT(f.runner.calls()[0].argv, ElementsAre("sudo", "/usr/bin/ipmitool", "dcmi", "power", "reading"));
  EXPECT_EQ(f.runner.calls()[0].timeout, kIpmiSudoTimeout);
  EXPECT_TRUE(f.privileges.contexts().empty());
}

TEST(IpmiDcmiUpdate, ExecutionFailureIsWrapped) {
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/tool"});
  f.runner.fallback([](const Command&) -> Result<CommandOutput> {
    return Error(ErrorKind::kTimeout, "command \"/bin/tool\" timed out after 5000 ms");
  });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch batch;
  Status st = c->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);
  EXPECT_THAT(st.error().message(),
              HasSubstr("failed to execute IPMI command: command \"/bin/tool\" timed out"));
}

// ---- caching ----

TEST(IpmiDcmiCache, ErrorsReuseTheLastPositiveValues) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/tool"});
  std::string output;
  f.runner.fallback([&](const Command&) { return FakeRunner::ok(output); });
  auto c = f.must_create();
  ASSERT_TRUE(c);

  // First scrape fails with an empty cache: no data.
  output = "garbage";
  MetricBatch b0;
  Status st = c->update(b0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);

  // Only current and avg are available; min is zero, max missing.
  output =
      "Power Measurement : Active\nCurrent Power : 100 Watts\nMinimum Power over sampling duration : 0 "
      "watts\n"
      "Average Power over sampling duration : 90 watts\n";
  MetricBatch b1;
  ASSERT_TRUE(c->update(b1).ok());
  EXPECT_EQ(b1.sample_count(), 2u);

  // State "not active": the cached current/avg are reported, with success.
  output = "Power reading state is: not active\nCurrent Power : 5 Watts\n";
  MetricBatch b2;
  ASSERT_TRUE(c->update(b2).ok());
  std::string page = render(b2);
  EXPECT_THAT(page, HasSubstr("ceems_ipmi_dcmi_current_watts{hostname=\"node1\"} 100\n"));
  EXPECT_THAT(page, HasSubstr("ceems_ipmi_dcmi_avg_watts{hostname=\"node1\"} 90\n"));
  EXPECT_THAT(page, Not(HasSubstr("min_watts")));
  EXPECT_THAT(page, Not(HasSubstr("max_watts")));
  std::string text = logs.text();
  EXPECT_THAT(text, HasSubstr("IPMI DCMI power reading failed or was 0 W; serving the last good reading"));
  EXPECT_THAT(text, HasSubstr("IPMI Power readings not Active"));
  EXPECT_THAT(text, HasSubstr("current=100 avg=90"));

  // A later success updates the cache per type.
  output =
      "Power Measurement : Active\nCurrent Power : 120 Watts\nMaximum Power over sampling duration : 130 "
      "watts\n";
  MetricBatch b3;
  ASSERT_TRUE(c->update(b3).ok());
  EXPECT_EQ(b3.sample_count(), 2u);
  output = "";
  MetricBatch b4;
  ASSERT_TRUE(c->update(b4).ok());
  page = render(b4);
  EXPECT_THAT(page, HasSubstr("current_watts{hostname=\"node1\"} 120\n"));
  EXPECT_THAT(page, HasSubstr("max_watts{hostname=\"node1\"} 130\n"));
  EXPECT_THAT(page, HasSubstr("avg_watts{hostname=\"node1\"} 90\n"));
}

TEST(IpmiDcmiCache, ZeroReadingBeforeAnyGoodOneEmitsNothing) {
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/tool"});
  f.runner.fallback([&](const Command&) {
    return FakeRunner::ok("Power Measurement : Active\nCurrent Power : 0 Watts\n");
  });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch b;
  ASSERT_TRUE(c->update(b).ok());  // as the reference: 0 W is "not available"
  EXPECT_EQ(b.sample_count(), 0u);
}

TEST(IpmiDcmiHold, ZeroWattsAndFailuresServeTheLastGoodReadingForTheHoldDuration) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/tool",
             "--collector.ipmi_dcmi.hold-duration=2m"});
  std::chrono::steady_clock::time_point now{};
  f.ipmi_host.clock = [&] { return now; };
  std::string output(kFreeIpmiOutput);
  f.runner.fallback([&](const Command&) { return FakeRunner::ok(output); });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch good;
  ASSERT_TRUE(c->update(good).ok());
  const std::string good_page = render(good);

  // 0 W and a failed read within the hold: the same samples, success, one WARN.
  output = "Power Measurement : Active\nCurrent Power : 0 Watts\n";
  now += std::chrono::seconds(30);
  MetricBatch zero;
  ASSERT_TRUE(c->update(zero).ok());
  EXPECT_EQ(render(zero), good_page);
  output = "garbage";
  now += std::chrono::seconds(60);
  MetricBatch failed;
  ASSERT_TRUE(c->update(failed).ok());
  EXPECT_EQ(render(failed), good_page);
  MetricBatch own;
  c->own_metrics(own);
  EXPECT_THAT(render(own),
              HasSubstr("ceems_exporter_held_power_readings_total{collector=\"ipmi_dcmi\"} 2\n"));
  std::string text = logs.text();
  EXPECT_THAT(text, HasSubstr("level=WARN"));
  EXPECT_THAT(text, HasSubstr("reason=\"the BMC reported 0 W\""));
  EXPECT_EQ(text.find("level=WARN"), text.rfind("level=WARN"));  // once per episode

  // Past the hold: failure, no samples.
  now += std::chrono::seconds(31);
  MetricBatch expired;
  Status st = c->update(expired);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("--collector.ipmi_dcmi.hold-duration"));
  EXPECT_EQ(expired.sample_count(), 0u);

  // Recovery ends the episode with one INFO line.
  output = kFreeIpmiOutput;
  MetricBatch back;
  ASSERT_TRUE(c->update(back).ok());
  EXPECT_THAT(logs.text(), HasSubstr("IPMI DCMI power readings are good again"));
}

TEST(IpmiDcmiHold, ZeroDisablesHoldingAndMalformedDurationIsRejected) {
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/tool",
             "--collector.ipmi_dcmi.hold-duration=0"});
  std::string output(kFreeIpmiOutput);
  f.runner.fallback([&](const Command&) { return FakeRunner::ok(output); });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch good;
  ASSERT_TRUE(c->update(good).ok());
  output = "Power Measurement : Active\nCurrent Power : 0 Watts\n";
  MetricBatch zero;
  EXPECT_FALSE(c->update(zero).ok());
  EXPECT_EQ(zero.sample_count(), 0u);

  Fixture bad({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/tool",
               "--collector.ipmi_dcmi.hold-duration=5 minutes"});
  auto made = bad.create();
  ASSERT_FALSE(made.ok());
  EXPECT_THAT(made.error().message(), HasSubstr("--collector.ipmi_dcmi.hold-duration"));
  EXPECT_THAT(made.error().message(), HasSubstr("5 minutes"));
}

// ---- native mode ----

TEST(IpmiDcmiNative, ReadsThroughTheTransportInsideOpenIpmiContext) {
  Fixture f({"--collector.ipmi_dcmi.force-native-mode"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  ASSERT_NE(f.transport, nullptr);
  f.transport->respond(ipmi::power_response(250, 0, 280, 251));
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  std::string page = render(batch);
  EXPECT_THAT(page, HasSubstr("ceems_ipmi_dcmi_current_watts{hostname=\"node1\"} 250\n"));
  EXPECT_THAT(page, HasSubstr("ceems_ipmi_dcmi_max_watts{hostname=\"node1\"} 280\n"));
  EXPECT_THAT(page, HasSubstr("ceems_ipmi_dcmi_avg_watts{hostname=\"node1\"} 251\n"));
  EXPECT_THAT(page, Not(HasSubstr("min_watts")));  // 0: not available
  EXPECT_THAT(f.privileges.contexts(), ElementsAre("open_ipmi"));
  EXPECT_THAT(f.privileges.last_caps(), ElementsAre("cap_dac_override"));
  ASSERT_EQ(f.transport->requests.size(), 1u);
  EXPECT_EQ(f.transport->requests[0].netfn, 0x2C);
  EXPECT_EQ(f.transport->requests[0].timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(c->last_measurement_active(), true);
}

TEST(IpmiDcmiNative, InactiveMeasurementIsStillExportedButReported) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.force-native-mode"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  f.transport->respond(ipmi::power_response(250, 230, 280, 251, 0x00));
  f.transport->respond(ipmi::power_response(250, 230, 280, 251, 0x00));
  MetricBatch b1;
  ASSERT_TRUE(c->update(b1).ok());
  EXPECT_EQ(b1.sample_count(), 4u);
  EXPECT_EQ(c->last_measurement_active(), false);
  MetricBatch b2;
  ASSERT_TRUE(c->update(b2).ok());
  std::string text = logs.text();
  // Warned once, then only at debug level.
  size_t first = text.find("exporting its readings anyway");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(text.find("exporting its readings anyway", first + 1), std::string::npos);
}

TEST(IpmiDcmiNative, CompletionCodeErrorUsesCache) {
  Fixture f({"--collector.ipmi_dcmi.force-native-mode"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  f.transport->respond({0xC1});
  MetricBatch b0;
  Status st = c->update(b0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);
  EXPECT_THAT(st.error().message(), HasSubstr("0xC1"));

  f.transport->respond(ipmi::power_response(300, 200, 400, 310));
  MetricBatch b1;
  ASSERT_TRUE(c->update(b1).ok());
  f.transport->fail(Error(ErrorKind::kTimeout, "no response received from IPMI device interface"));
  MetricBatch b2;
  ASSERT_TRUE(c->update(b2).ok());
  EXPECT_EQ(render(b2), render(b1));
}

TEST(IpmiDcmiNative, StopClosesTheDevice) {
  Fixture f({"--collector.ipmi_dcmi.force-native-mode"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  c->stop();
  EXPECT_EQ(f.transport->close_calls, 1);
}

TEST(IpmiDcmiFactory, MakeReturnsACollector) {
  // The real host: a command in test mode touches neither tools nor devices.
  FlagSet flags("ceems_exporter");
  register_ipmi_dcmi_flags(flags);
  ASSERT_TRUE(flags.parse({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/echo"}).ok());
  HostFs host("/proc", "/sys", "/sys/fs/cgroup");
  FakeRunner runner;
  RecordingPrivileges privileges;
  CollectorContext ctx{flags, host, runner, privileges, "h", false, {}};
  auto c = make_ipmi_dcmi_collector(ctx);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_THAT((*c)->capabilities(), IsEmpty());
}

}  // namespace
}  // namespace ceems
