#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ipmi/ipmi_dcmi.h"
#include "ipmi/testing/dcmi_fixture.h"

// The ipmi_dcmi collector's flags, tool lookup and how it chooses its mode.
namespace ceems {
namespace {

using namespace ceems::ipmi::testing;  // NOLINT(google-build-using-namespace): the fixture and its outputs
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

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
  EXPECT_TRUE(f.privileges.contexts().empty());
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

}  // namespace
}  // namespace ceems
