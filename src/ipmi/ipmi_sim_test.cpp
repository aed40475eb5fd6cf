// End-to-end check against OpenIPMI's BMC simulator: the real ipmitool and FreeIPMI
// ipmi-dcmi talk RMCP+ to ipmi_sim (with a DCMI module built from testdata/ at test
// time) and their output goes through the parsers and the collector. Skips when the
// simulator, the tools, the OpenIPMI headers or a C compiler are missing.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/command_runner.h"
#include "core/privileges.h"
#include "core/testing/test_support.h"
#include "ipmi/ipmi_dcmi.h"
#include "ipmi/tool_output.h"

#ifndef CEEMS_C_COMPILER
#define CEEMS_C_COMPILER "cc"
#endif

namespace ceems {
namespace {

using namespace std::chrono_literals;

const std::string kModuleSource = std::string(CEEMS_TEST_DATA_DIR) + "/dcmi_sim_module.c";
constexpr unsigned kBaseWatts = 417;  // distinctive, so a default can never pass for it

bool is_executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string find_c_compiler() {
  std::string configured = CEEMS_C_COMPILER;
  if (configured.find('/') != std::string::npos && is_executable(configured)) return configured;
  for (const char* name : {"cc", "gcc", "clang"}) {
    std::string p = find_executable(name);
    if (!p.empty()) return p;
  }
  return {};
}

// A UDP port that was free a moment ago; the simulator start is retried on a clash.
int pick_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

void write_file(const std::string& path, const std::string& content) { std::ofstream(path) << content; }

std::string read_head(const std::string& path, size_t max = 4096) {
  std::string out(max, '\0');
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  out.resize(std::fread(out.data(), 1, out.size(), f));
  std::fclose(f);
  return out;
}

// The tools and paths found on this host, once per process.
struct Toolchain {
  std::string skip_reason;
  std::string ipmi_sim;
  std::string ipmitool;
  std::string ipmi_dcmi;
  std::string compiler;
  std::string work_dir;
  std::string module;
};

Toolchain& toolchain() {
  static Toolchain t = [] {
    Toolchain tc;
    tc.ipmi_sim = find_executable("ipmi_sim", {"/usr/sbin", "/sbin"});
    tc.ipmitool = find_executable("ipmitool", {"/usr/sbin", "/sbin"});
    tc.ipmi_dcmi = find_executable("ipmi-dcmi", {"/usr/sbin", "/sbin"});
    tc.compiler = find_c_compiler();
    if (tc.ipmi_sim.empty()) tc.skip_reason = "ipmi_sim not installed (package openipmi)";
    if (tc.ipmitool.empty()) tc.skip_reason = "ipmitool not installed (package ipmitool)";
    if (tc.ipmi_dcmi.empty()) tc.skip_reason = "ipmi-dcmi not installed (package freeipmi-tools)";
    if (tc.compiler.empty()) tc.skip_reason = "no C compiler";
    if (!std::filesystem::exists("/usr/include/OpenIPMI/mcserv.h")) {
      tc.skip_reason = "OpenIPMI headers not installed (package libopenipmi-dev)";
    }
    if (!tc.skip_reason.empty()) return tc;

    std::string tmpl = (std::filesystem::temp_directory_path() / "ipmi_sim_test.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      tc.skip_reason = "cannot create a temporary directory";
      return tc;
    }
    tc.work_dir = tmpl;
    tc.module = tc.work_dir + "/dcmi_sim_module.so";
    ProcessRunner runner;
    Command cc{{tc.compiler, "-O2", "-Wall", "-fPIC", "-shared", "-o", tc.module, kModuleSource}, 60s};
    auto built = runner.run(cc);
    // Headers are present, so a failing build is a defect of the module, not a skip.
    EXPECT_TRUE(built.ok()) << "building the DCMI module failed: " << built.error().message();
    if (!built.ok()) tc.skip_reason = "DCMI module did not build";
    return tc;
  }();
  return t;
}

// One ipmi_sim process bound to 127.0.0.1, killed (with its process group) on destruction.
class IpmiSim {
 public:
  IpmiSim(const Toolchain& tc, const std::string& module_options) {
    for (int attempt = 0; attempt < 3 && pid_ < 0; ++attempt) start(tc, module_options);
  }
  ~IpmiSim() { stop(); }
  IpmiSim(const IpmiSim&) = delete;
  IpmiSim& operator=(const IpmiSim&) = delete;

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  const std::string& error() const { return error_; }

 private:
  void start(const Toolchain& tc, const std::string& module_options) {
    port_ = pick_udp_port();
    if (port_ <= 0) {
      error_ = "no free UDP port";
      return;
    }
    dir_ = tc.work_dir + "/sim" + std::to_string(port_);
    std::filesystem::create_directories(dir_ + "/state");
    write_file(dir_ + "/lan.conf",
               "loadlib \"" + tc.module + "\" \"" + module_options +
                   "\"\n"
                   "name \"ceemssim\"\n"
                   "set_working_mc 0x20\n"
                   "  startlan 1\n"
                   "    addr 127.0.0.1 " +
                   std::to_string(port_) +
                   "\n"
                   "    priv_limit admin\n"
                   "    allowed_auths_callback none md2 md5 straight\n"
                   "    allowed_auths_user none md2 md5 straight\n"
                   "    allowed_auths_operator none md2 md5 straight\n"
                   "    allowed_auths_admin none md2 md5 straight\n"
                   "    guid a123456789abcdefa123456789abcdef\n"
                   "  endlan\n"
                   "  user 2 true \"admin\" \"password\" admin 10 none md2 md5 straight\n");
    write_file(dir_ + "/sim.emu",
               "mc_setbmc 0x20\n"
               "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\n"
               "sel_enable 0x20 1000 0x0a\n"
               "mc_enable 0x20\n");

    std::vector<std::string> args = {tc.ipmi_sim,       "-c", dir_ + "/lan.conf", "-f",
                                     dir_ + "/sim.emu", "-s", dir_ + "/state",    "-n"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string log_path = dir_ + "/ipmi_sim.log";
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
      error_ = "fork failed";
      return;
    }
    if (pid == 0) {
      ::setpgid(0, 0);
      // Never outlive the test binary, even if it crashes.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      int null_fd = ::open("/dev/null", O_RDONLY);
      int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (null_fd >= 0) ::dup2(null_fd, 0);
      if (log_fd >= 0) {
        ::dup2(log_fd, 1);
        ::dup2(log_fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    // Ready once it answers; gone early means the port was taken or the config is bad.
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        error_ = "ipmi_sim exited: " + read_head(log_path);
        pid_ = -1;
        return;
      }
      ProcessRunner runner;
      Command probe{{tc.ipmitool, "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", std::to_string(port_),
                     "-U", "admin", "-P", "password", "mc", "info"},
                    3s};
      if (runner.run(probe).ok()) return;
      std::this_thread::sleep_for(100ms);
    }
    error_ = "ipmi_sim did not answer within 15 s";
    stop();
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + 3s;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  int port_ = -1;
  std::string dir_;
  std::string error_;
};

class IpmiSimTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (!toolchain().work_dir.empty()) std::filesystem::remove_all(toolchain().work_dir);
  }

  void start(const std::string& options = "watts=" + std::to_string(kBaseWatts)) {
    sim_.emplace(toolchain(), options);
    ASSERT_TRUE(sim_->running()) << sim_->error();
  }
  void SetUp() override {
    if (!toolchain().skip_reason.empty()) GTEST_SKIP() << toolchain().skip_reason;
  }
  void TearDown() override { sim_.reset(); }

  std::string port() const { return std::to_string(sim_->port()); }
  std::vector<std::string> ipmitool_argv() const {
    return {toolchain().ipmitool, "-I",   "lanplus", "-C",     "3",     "-H",
            "127.0.0.1",          "-p",   port(),    "-U",     "admin", "-P",
            "password",           "dcmi", "power",   "reading"};
  }
  std::vector<std::string> ipmi_dcmi_argv() const {
    return {toolchain().ipmi_dcmi,
            "-h",
            "127.0.0.1:" + port(),
            "-u",
            "admin",
            "-p",
            "password",
            "-l",
            "ADMIN",
            "-D",
            "LAN_2_0",
            "-W",
            "opensesspriv",
            "--get-system-power-statistics"};
  }
  static std::string join(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
    return out;
  }
  static std::string run(const std::vector<std::string>& argv) {
    ProcessRunner runner;
    auto out = runner.run(Command{argv, 15s});
    EXPECT_TRUE(out.ok()) << out.error().message();
    return out.ok() ? out->output : std::string();
  }

  static void expect_sim_readings(const ipmi::PowerReadings& r) {
    ASSERT_TRUE(r.current && r.min && r.max && r.avg);
    EXPECT_GE(*r.current, kBaseWatts);
    EXPECT_LE(*r.current, kBaseWatts + 6);  // base + time % 7
    EXPECT_EQ(*r.min, kBaseWatts - 20);
    EXPECT_EQ(*r.max, kBaseWatts + 30);
    EXPECT_EQ(*r.avg, kBaseWatts);
  }

  static std::optional<double> sample(const MetricBatch& batch, const std::string& name) {
    for (const auto& f : batch.families()) {
      if (f->desc().name == name && f->size() == 1) return f->value(0);
    }
    return std::nullopt;
  }

  static void expect_sim_metrics(const MetricBatch& batch) {
    ipmi::PowerReadings r;
    r.current = sample(batch, "ceems_ipmi_dcmi_current_watts");
    r.min = sample(batch, "ceems_ipmi_dcmi_min_watts");
    r.max = sample(batch, "ceems_ipmi_dcmi_max_watts");
    r.avg = sample(batch, "ceems_ipmi_dcmi_avg_watts");
    expect_sim_readings(r);
  }

  std::unique_ptr<Collector> make_collector(const std::vector<std::string>& args, FlagSet& flags,
                                            CommandRunner& runner, Privileges& privileges) {
    register_ipmi_dcmi_flags(flags);
    auto parsed = flags.parse(args);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message();
    static const HostFs host("/proc", "/sys", "/sys/fs/cgroup");
    CollectorContext ctx{
        flags, host, runner, privileges, "simhost", false, log::Logger("collector", "ipmi_dcmi")};
    auto c = make_ipmi_dcmi_collector(ctx);
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::optional<IpmiSim> sim_;
};

TEST_F(IpmiSimTest, IpmitoolOutputParses) {
  start();
  std::string out = run(ipmitool_argv());
  auto r = ipmi::parse_tool_output(out);
  ASSERT_TRUE(r.ok()) << r.error().message();
  expect_sim_readings(*r);
}

TEST_F(IpmiSimTest, FreeIpmiOutputParses) {
  start();
  std::string out = run(ipmi_dcmi_argv());
  auto r = ipmi::parse_tool_output(out);
  ASSERT_TRUE(r.ok()) << r.error().message();
  expect_sim_readings(*r);
}

TEST_F(IpmiSimTest, InactiveMeasurementIsRejectedByBothParsers) {
  start("watts=" + std::to_string(kBaseWatts) + " inactive");
  for (const auto& argv : {ipmitool_argv(), ipmi_dcmi_argv()}) {
    auto r = ipmi::parse_tool_output(run(argv));
    ASSERT_FALSE(r.ok()) << argv[0];
    EXPECT_EQ(r.error().message(), "IPMI Power readings not Active") << argv[0];
  }
}

TEST_F(IpmiSimTest, CollectorInTestModeWithIpmitool) {
  start();
  FlagSet flags("ceems_exporter");
  ProcessRunner runner;
  NoPrivileges privileges;
  auto c = make_collector(
      {"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=" + join(ipmitool_argv())}, flags,
      runner, privileges);
  ASSERT_TRUE(c);
  for (int scrape = 0; scrape < 2; ++scrape) {
    MetricBatch batch;
    Status st = c->update(batch);
    ASSERT_TRUE(st.ok()) << st.error().message();
    expect_sim_metrics(batch);
  }
}

TEST_F(IpmiSimTest, CollectorWithDeprecatedFlagAndFreeIpmi) {
  start();
  FlagSet flags("ceems_exporter");
  ProcessRunner runner;
  NoPrivileges privileges;
  auto c = make_collector(
      {"--collector.ipmi_dcmi.test-mode", "--collector.ipmi.dcmi.cmd=" + join(ipmi_dcmi_argv())}, flags,
      runner, privileges);
  ASSERT_TRUE(c);
  MetricBatch batch;
  Status st = c->update(batch);
  ASSERT_TRUE(st.ok()) << st.error().message();
  expect_sim_metrics(batch);
}

TEST_F(IpmiSimTest, CollectorProbesIntoCapModeAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "the direct probe only selects cap mode when run as root";
  start();
  FlagSet flags("ceems_exporter");
  ProcessRunner runner;
  NoPrivileges privileges;
  auto c = make_collector({"--collector.ipmi_dcmi.cmd=" + join(ipmitool_argv())}, flags, runner, privileges);
  ASSERT_TRUE(c);
  EXPECT_THAT(c->capabilities(), ::testing::ElementsAre("cap_setuid", "cap_setgid"));
  MetricBatch batch;
  Status st = c->update(batch);  // runs the tool as uid 0 / gid 0 through the real runner
  ASSERT_TRUE(st.ok()) << st.error().message();
  expect_sim_metrics(batch);
}

TEST_F(IpmiSimTest, CollectorKeepsCachedValuesWhenTheBmcGoesAway) {
  start();
  FlagSet flags("ceems_exporter");
  ProcessRunner runner;
  NoPrivileges privileges;
  auto c = make_collector(
      {"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=" + join(ipmitool_argv())}, flags,
      runner, privileges);
  ASSERT_TRUE(c);
  MetricBatch first;
  ASSERT_TRUE(c->update(first).ok());
  sim_.reset();  // BMC gone: ipmitool fails
  MetricBatch second;
  Status st = c->update(second);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(sample(second, "ceems_ipmi_dcmi_current_watts"), sample(first, "ceems_ipmi_dcmi_current_watts"));
  EXPECT_EQ(sample(second, "ceems_ipmi_dcmi_avg_watts"), std::optional<double>(kBaseWatts));
}

// A BMC that answers every other power reading with 0 W: every scrape still has
// node power (the last good reading), one WARN per episode, and the exporter's own
// counter says how many readings were held.
TEST_F(IpmiSimTest, ZeroWattReadingsLeaveNoGap) {
  start("watts=" + std::to_string(kBaseWatts) + " zero_every=2");
  FlagSet flags("ceems_exporter");
  ProcessRunner runner;
  NoPrivileges privileges;
  test_support::LogCapture logs;
  auto c = make_collector(
      {"--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=" + join(ipmitool_argv())}, flags,
      runner, privileges);
  ASSERT_TRUE(c);
  constexpr int kScrapes = 6;
  for (int scrape = 0; scrape < kScrapes; ++scrape) {
    MetricBatch batch;
    Status st = c->update(batch);
    ASSERT_TRUE(st.ok()) << "scrape " << scrape << ": " << st.error().message();
    expect_sim_metrics(batch);  // real or held, never a gap and never 0 W
  }
  MetricBatch own;
  c->own_metrics(own);
  EXPECT_EQ(sample(own, "ceems_exporter_held_power_readings_total"), std::optional<double>(kScrapes / 2));
  const std::string text = logs.text();
  size_t warns = 0;
  for (size_t at = text.find("serving the last good reading"); at != std::string::npos;
       at = text.find("serving the last good reading", at + 1)) {
    ++warns;
  }
  // At most one per episode (each 0 W reading is one here); the log also folds
  // identical lines that repeat within its interval.
  EXPECT_GE(warns, 1u);
  EXPECT_LE(warns, static_cast<size_t>(kScrapes / 2));
  EXPECT_THAT(text, ::testing::HasSubstr("the BMC reported 0 W"));
  EXPECT_THAT(text, ::testing::HasSubstr("IPMI DCMI power readings are good again"));
}

}  // namespace
}  // namespace ceems
