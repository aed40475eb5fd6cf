#include "ipmi/ipmi_dcmi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/exposition.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"
#include "ipmi/testing/fake_transport.h"

namespace ceems {
namespace {

using test_support::FakeRunner;
using test_support::render;
struct LogCapture : test_support::LogCapture {
  LogCapture() : test_support::LogCapture(log::Level::kDebug) {}
};

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using Argv = std::vector<std::string>;

constexpr std::string_view kFreeIpmiOutput =
    "Current Power                        : 332 Watts\n"
    "Minimum Power over sampling duration : 68 watts\n"
    "Maximum Power over sampling duration : 504 watts\n"
    "Average Power over sampling duration : 348 watts\n"
    "Time Stamp                           : 11/03/2023 - 08:36:29\n"
    "Statistics reporting time period     : 2685198000 milliseconds\n"
    "Power Measurement                    : Active\n";

constexpr std::string_view kCapmcOutput =
    "{\n\"start_time\":\"2015-04-01 17:02:10\",\n\"avg\":5942,\n\"min\":5748,\n\"max\":6132,\n"
    "\"window_len\":600,\n\"e\":0,\n\"err_msg\":\"\"\n}\n";

class RecordingPrivileges : public Privileges {
 public:
  Status run_with(std::string_view context, const std::vector<std::string>& caps,
                  const std::function<Status()>& fn) override {
    contexts.emplace_back(context);
    last_caps = caps;
    ++depth;
    Status st = fn();
    --depth;
    return st;
  }
  std::vector<std::string> contexts;
  std::vector<std::string> last_caps;
  int depth = 0;  // > 0 while a privileged function runs
};

// Everything a factory call needs, with fakes for the host.
class Fixture {
 public:
  explicit Fixture(const Argv& args, std::string hostname = "node1", bool empty_hostname = false)
      : flags_("ceems_exporter"),
        host_("/proc", "/sys", "/sys/fs/cgroup"),
        hostname_(std::move(hostname)),
        empty_hostname_(empty_hostname) {
    register_ipmi_dcmi_flags(flags_);
    auto parsed = flags_.parse(args);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message();
    ipmi_host.find_tool = [this](const std::string& name) {
      looked_up.push_back(name);
      auto it = tools.find(name);
      return it == tools.end() ? std::string() : it->second;
    };
    ipmi_host.open_device = [this](int64_t n) -> Result<std::unique_ptr<ipmi::IpmiTransport>> {
      opened.push_back(n);
      if (!device_error.message().empty()) return device_error;
      auto t = std::make_unique<ipmi::FakeTransport>();
      transport = t.get();
      return std::unique_ptr<ipmi::IpmiTransport>(std::move(t));
    };
  }

  Result<std::unique_ptr<IpmiDcmiCollector>> create() {
    CollectorContext ctx{
        flags_, host_, runner, privileges, hostname_, empty_hostname_, log::Logger("collector", "ipmi_dcmi")};
    return create_ipmi_dcmi_collector(ctx, ipmi_host);
  }
  std::unique_ptr<IpmiDcmiCollector> must_create() {
    auto c = create();
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(*c) : nullptr;
  }

  FakeRunner runner;
  RecordingPrivileges privileges;
  IpmiDcmiHost ipmi_host;
  std::map<std::string, std::string> tools;
  std::vector<std::string> looked_up;
  std::vector<int64_t> opened;
  Error device_error{ErrorKind::kIo, ""};
  ipmi::FakeTransport* transport = nullptr;

 private:
  FlagSet flags_;
  HostFs host_;
  std::string hostname_;
  bool empty_hostname_;
};

// ---- helpers ----

TEST(IpmiSplitIpmiCommand, EverySingleSpace) {
  EXPECT_THAT(split_ipmi_command("ipmitool dcmi power reading"),
              ElementsAre("ipmitool", "dcmi", "power", "reading"));
  EXPECT_THAT(split_ipmi_command("a  b"), ElementsAre("a", "", "b"));
  EXPECT_THAT(split_ipmi_command(" a"), ElementsAre("", "a"));
  EXPECT_THAT(split_ipmi_command("a\tb"), ElementsAre("a\tb", ""));
}

TEST(IpmiSplitIpmiCommand, OneWordGetsAnEmptyArgument) {
  EXPECT_THAT(split_ipmi_command("/path/wrapper"), ElementsAre("/path/wrapper", ""));
}

TEST(IpmiRedactIpmiCommand, HidesPasswordsAndKeys) {
  EXPECT_EQ(redact_ipmi_command({"ipmitool", "-I", "lanplus", "-U", "admin", "-P", "secret", "dcmi"}),
            "ipmitool -I lanplus -U admin -P <redacted> dcmi");
  EXPECT_EQ(redact_ipmi_command({"ipmi-dcmi", "-u", "admin", "-p", "secret", "--k-g=key", "--password=pw"}),
            "ipmi-dcmi -u admin -p <redacted> --k-g=<redacted> --password=<redacted>");
  EXPECT_EQ(redact_ipmi_command({"ipmitool", "-Psecret", "-y", "00ff"}),
            "ipmitool -P<redacted> -y <redacted>");
  EXPECT_EQ(redact_ipmi_command({"ipmitool", "dcmi", "power", "reading"}), "ipmitool dcmi power reading");
  EXPECT_EQ(redact_ipmi_command({"ipmitool", "-P"}), "ipmitool -P");
}

TEST(IpmiExecModeName, Names) {
  EXPECT_EQ(ipmi_exec_mode_name(IpmiExecMode::kCap), "cap");
  EXPECT_EQ(ipmi_exec_mode_name(IpmiExecMode::kSudo), "sudo");
  EXPECT_EQ(ipmi_exec_mode_name(IpmiExecMode::kNative), "native");
  EXPECT_EQ(ipmi_exec_mode_name(IpmiExecMode::kTest), "test");
  EXPECT_EQ(ipmi_exec_mode_name(IpmiExecMode::kNone), "");
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ipmi_dcmi_test.XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(root_); }
  std::string path(const std::string& rel) const { return root_ + "/" + rel; }
  void file(const std::string& rel, mode_t mode) const {
    std::filesystem::create_directories(std::filesystem::path(path(rel)).parent_path());
    std::ofstream(path(rel)) << "#!/bin/sh\n";
    ::chmod(path(rel).c_str(), mode);
  }

 private:
  std::string root_;
};

class ScopedPath {
 public:
  explicit ScopedPath(const std::string& value) {
    const char* old = std::getenv("PATH");
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv("PATH", value.c_str(), 1);
  }
  ~ScopedPath() {
    if (had_) {
      ::setenv("PATH", old_.c_str(), 1);
    } else {
      ::unsetenv("PATH");
    }
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(IpmiFindIpmiTool, PathFirstThenSbinDirsWithoutExecBit) {
  TempDir dir;
  dir.file("bin/ipmitool", 0755);
  dir.file("sbin1/ipmitool", 0755);
  dir.file("sbin2/ipmiutil", 0644);  // not executable: still found, as in the reference
  std::filesystem::create_directories(dir.path("sbin1/capmc"));  // a directory never counts
  ScopedPath path(dir.path("bin"));
  std::vector<std::string> sbins{dir.path("sbin1"), dir.path("sbin2")};
  EXPECT_EQ(find_ipmi_tool("ipmitool", sbins), dir.path("bin/ipmitool"));
  EXPECT_EQ(find_ipmi_tool("ipmiutil", sbins), dir.path("sbin2/ipmiutil"));
  EXPECT_EQ(find_ipmi_tool("capmc", sbins), "");
  EXPECT_EQ(find_ipmi_tool("ipmi-dcmi", sbins), "");
}

// ---- flags ----

TEST(IpmiDcmiFlags, RegisteredWithDefaultsAndHiddenOnes) {
  FlagSet flags("ceems_exporter");
  register_ipmi_dcmi_flags(flags);
  ASSERT_TRUE(flags.parse({}).ok());
  EXPECT_EQ(flags.get_string("collector.ipmi_dcmi.cmd"), "");
  EXPECT_EQ(flags.get_string("collector.ipmi.dcmi.cmd"), "");
  EXPECT_EQ(flags.get_int("collector.ipmi_dcmi.dev-num"), 0);
  EXPECT_FALSE(flags.get_bool("collector.ipmi_dcmi.force-native-mode"));
  EXPECT_FALSE(flags.get_bool("collector.ipmi_dcmi.test-mode"));
  std::string usage = flags.usage();
  EXPECT_THAT(usage, HasSubstr("--collector.ipmi_dcmi.cmd"));
  EXPECT_THAT(usage, HasSubstr("--collector.ipmi_dcmi.dev-num"));
  EXPECT_THAT(usage, HasSubstr("--[no-]collector.ipmi_dcmi.force-native-mode"));
  EXPECT_THAT(usage, HasSubstr("Use full path to executables."));
  EXPECT_THAT(usage, Not(HasSubstr("collector.ipmi.dcmi.cmd")));
  EXPECT_THAT(usage, Not(HasSubstr("test-mode")));
}

// ---- mode selection ----

TEST(IpmiDcmiMode, AutoDetectOrderUsesResolvedPath) {
  Fixture f({"--collector.ipmi_dcmi.test-mode"});
  f.tools = {{"ipmitool", "/usr/bin/ipmitool"}, {"capmc", "/opt/bin/capmc"}};
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode(), IpmiExecMode::kTest);
  EXPECT_THAT(c->command(), ElementsAre("/usr/bin/ipmitool", "dcmi", "power", "reading"));
  EXPECT_THAT(f.looked_up, ElementsAre("ipmi-dcmi", "ipmitool"));
  EXPECT_TRUE(f.runner.calls().empty());  // test mode runs no probe
}

TEST(IpmiDcmiMode, AutoDetectCandidates) {
  struct Case {
    std::string tool;
    Argv argv;
  };
  for (const Case& k : {Case{"ipmi-dcmi", {"/s/ipmi-dcmi", "--get-system-power-statistics"}},
                        Case{"ipmiutil", {"/s/ipmiutil", "dcmi", "power"}},
                        Case{"capmc", {"/s/capmc", "get_system_power", "-w", "600"}}}) {
    Fixture f({"--collector.ipmi_dcmi.test-mode"});
    f.tools = {{k.tool, "/s/" + k.tool}};
    auto c = f.must_create();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->command(), k.argv);
  }
}

TEST(IpmiDcmiMode, NothingFoundFallsBackToNative) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.dev-num=2"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode(), IpmiExecMode::kNative);
  EXPECT_THAT(f.looked_up, ElementsAre("ipmi-dcmi", "ipmitool", "ipmiutil", "capmc"));
  EXPECT_THAT(f.opened, ElementsAre(2));
  EXPECT_THAT(c->capabilities(), ElementsAre("cap_dac_override"));
  EXPECT_TRUE(f.runner.calls().empty());
  EXPECT_THAT(logs.text(), HasSubstr("None of ipmitool,ipmiutil,ipmi-dcmi commands found. Using native "
                                     "implementation using OpenIPMI interface"));
  EXPECT_THAT(logs.text(), HasSubstr("execution_mode=native"));
}

TEST(IpmiDcmiMode, ForceNativeSkipsDetection) {
  Fixture f(
      {"--collector.ipmi_dcmi.force-native-mode", "--collector.ipmi_dcmi.cmd=ipmitool dcmi power reading"});
  f.tools = {{"ipmitool", "/usr/bin/ipmitool"}};
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode(), IpmiExecMode::kNative);
  EXPECT_TRUE(f.looked_up.empty());
  EXPECT_THAT(f.opened, ElementsAre(0));
  EXPECT_TRUE(f.runner.calls().empty());
}

TEST(IpmiDcmiMode, NegativeDeviceNumberIsAConstructorError) {
  Fixture f({"--collector.ipmi_dcmi.force-native-mode", "--collector.ipmi_dcmi.dev-num=-1"});
  auto c = f.create();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(),
            "--collector.ipmi_dcmi.dev-num=-1: the IPMI device number must be 0 or more (/dev/ipmi0 is 0)");
  EXPECT_TRUE(f.opened.empty());
}

TEST(IpmiDcmiMode, NegativeDeviceNumberIsIgnoredOutsideNativeMode) {
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.dev-num=-1",
             "--collector.ipmi_dcmi.cmd=/bin/tool"});
  EXPECT_TRUE(f.create().ok());
}

TEST(IpmiDcmiMode, DeviceOpenFailureIsAConstructorError) {
  Fixture f({"--collector.ipmi_dcmi.force-native-mode"});
  f.device_error = Error(ErrorKind::kNotFound, "no IPMI device found on the host");
  auto c = f.create();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "no IPMI device found on the host");
}

TEST(IpmiDcmiMode, DeprecatedFlagTakesPrecedenceAndWarns) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/new/tool a",
             "--collector.ipmi.dcmi.cmd=/old/tool b"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_THAT(c->command(), ElementsAre("/old/tool", "b"));
  EXPECT_THAT(logs.text(), HasSubstr("flag --collector.ipmi.dcmi.cmd has been deprecated. Use native mode by "
                                     "OpenIPMI driver using --collector.ipmi_dcmi.force-native-mode"));
}

TEST(IpmiDcmiMode, DeprecatedFlagAloneIsUsed) {
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi.dcmi.cmd=/old/capmc"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_THAT(c->command(), ElementsAre("/old/capmc", ""));
  EXPECT_TRUE(f.looked_up.empty());
}

TEST(IpmiDcmiMode, NoWarningWithoutDeprecatedFlag) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/new/tool"});
  ASSERT_TRUE(f.must_create());
  EXPECT_THAT(logs.text(), Not(HasSubstr("deprecated")));
}

TEST(IpmiDcmiMode, DirectProbeSuccessMeansCapMode) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.cmd=ipmitool -I lanplus -P secret dcmi power reading"});
  f.runner.fallback([](const Command&) { return FakeRunner::ok(kFreeIpmiOutput); });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode(), IpmiExecMode::kCap);
  EXPECT_THAT(c->capabilities(), ElementsAre("cap_setuid", "cap_setgid"));
  EXPECT_FALSE(c->runs_set_user_id_programs());
  ASSERT_EQ(f.runner.calls().size(), 1u);
  const Command probe = f.runner.calls()[0];
  EXPECT_THAT(probe.argv,
              ElementsAre("ipmitool", "-I", "lanplus", "-P", "secret", "dcmi", "power", "reading"));
  EXPECT_EQ(probe.timeout, kIpmiCommandTimeout);
  EXPECT_FALSE(probe.uid);
  EXPECT_FALSE(probe.gid);
  EXPECT_TRUE(f.opened.empty());
  std::string text = logs.text();
  EXPECT_THAT(text, HasSubstr("Using IPMI command"));
  EXPECT_THAT(text, HasSubstr("-P <redacted>"));
  EXPECT_THAT(text, Not(HasSubstr("secret")));
  EXPECT_THAT(text, HasSubstr("execution_mode=cap"));
}

TEST(IpmiDcmiMode, SudoProbeHasOneSecondTimeout) {
  Fixture f({"--collector.ipmi_dcmi.cmd=/usr/bin/ipmi-dcmi --get-system-power-statistics"});
  f.runner.fallback([](const Command& cmd) -> Result<CommandOutput> {
    if (cmd.argv.front() == "sudo") return FakeRunner::ok("");
    return Error(ErrorKind::kIo, "exit status 1");
  });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode(), IpmiExecMode::kSudo);
  EXPECT_THAT(c->capabilities(), IsEmpty());
  // sudo is set-user-ID: the process must not set NO_NEW_PRIVS.
  EXPECT_TRUE(c->runs_set_user_id_programs());
  ASSERT_EQ(f.runner.calls().size(), 2u);
  EXPECT_THAT(f.runner.calls()[1].argv,
              ElementsAre("sudo", "/usr/bin/ipmi-dcmi", "--get-system-power-statistics"));
  EXPECT_EQ(f.runner.calls()[1].timeout, kIpmiSudoTimeout);
  EXPECT_FALSE(f.runner.calls()[1].uid);
}

TEST(IpmiDcmiMode, RootProbeMeansCapMode) {
  Fixture f({"--collector.ipmi_dcmi.cmd=/usr/bin/ipmitool dcmi power reading"});
  f.runner.fallback([](const Command& cmd) -> Result<CommandOutput> {
    if (cmd.uid == 0u && cmd.gid == 0u && cmd.argv.front() != "sudo") return FakeRunner::ok("");
    return Error(ErrorKind::kIo, "exit status 1");
  });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode(), IpmiExecMode::kCap);
  ASSERT_EQ(f.runner.calls().size(), 3u);
  EXPECT_EQ(f.runner.calls()[2].timeout, kIpmiCommandTimeout);
  EXPECT_THAT(f.runner.calls()[2].argv, ElementsAre("/usr/bin/ipmitool", "dcmi", "power", "reading"));
  // The probe runs before the privilege drop: no privileged context yet.
  EXPECT_TRUE(f.privileges.contexts.empty());
}

TEST(IpmiDcmiMode, CommandStartingWithSudoSkipsTheSudoProbe) {
  Fixture f({"--collector.ipmi_dcmi.cmd=sudo ipmitool dcmi power reading"});
  auto c = f.must_create();
  ASSERT_TRUE(c);
  ASSERT_EQ(f.runner.calls().size(), 2u);
  EXPECT_THAT(f.runner.calls()[0].argv, ElementsAre("sudo", "ipmitool", "dcmi", "power", "reading"));
  EXPECT_EQ(f.runner.calls()[1].uid, 0u);
  EXPECT_TRUE(c->runs_set_user_id_programs());
  for (const auto& cmd : f.runner.calls()) EXPECT_GT(cmd.timeout.count(), 0);
}

TEST(IpmiDcmiMode, AllProbesFailingLeavesNoModeAndNoData) {
  LogCapture logs;
  Fixture f({"--collector.ipmi_dcmi.cmd=/bin/false"});
  auto c = f.must_create();
  // The warning says why each attempt failed, not only that they did.
  EXPECT_THAT(logs.text(), HasSubstr("level=WARN"));
  EXPECT_THAT(logs.text(),
              HasSubstr("directly: command exited with status 1; with sudo: command exited with status "
                        "1; as uid 0: command exited with status 1"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode(), IpmiExecMode::kNone);
  EXPECT_THAT(c->capabilities(), IsEmpty());
  ASSERT_EQ(f.runner.calls().size(), 3u);
  EXPECT_THAT(f.runner.calls()[0].argv, ElementsAre("/bin/false", ""));
  size_t before = f.runner.calls().size();
  MetricBatch batch;
  Status st = c->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);
  EXPECT_EQ(batch.sample_count(), 0u);
  EXPECT_EQ(f.runner.calls().size(), before);  // nothing runs in that mode
}

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
  EXPECT_TRUE(f.privileges.contexts.empty());
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
    depth_at_run = privileges->depth;
    return FakeRunner::ok(kFreeIpmiOutput);
  });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  ASSERT_EQ(c->mode(), IpmiExecMode::kCap);
  f.runner.clear_calls();
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 4u);
  EXPECT_THAT(f.privileges.contexts, ElementsAre("ipmi_exec_cmd"));
  EXPECT_THAT(f.privileges.last_caps, ElementsAre("cap_setuid", "cap_setgid"));
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
  EXPECT_TRUE(f.privileges.contexts.empty());
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
  EXPECT_THAT(text, HasSubstr("Failed to get power statistics from IPMI. Using last cached values"));
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

TEST(IpmiDcmiCache, SuccessfulZeroReadingEmitsNothingAndIgnoresCache) {
  Fixture f({"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/tool"});
  std::string output(kFreeIpmiOutput);
  f.runner.fallback([&](const Command&) { return FakeRunner::ok(output); });
  auto c = f.must_create();
  ASSERT_TRUE(c);
  MetricBatch b1;
  ASSERT_TRUE(c->update(b1).ok());
  output = "Power Measurement : Active\nCurrent Power : 0 Watts\n";
  MetricBatch b2;
  ASSERT_TRUE(c->update(b2).ok());
  EXPECT_EQ(b2.sample_count(), 0u);
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
  EXPECT_THAT(f.privileges.contexts, ElementsAre("open_ipmi"));
  EXPECT_THAT(f.privileges.last_caps, ElementsAre("cap_dac_override"));
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
