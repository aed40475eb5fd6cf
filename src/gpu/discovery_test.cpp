#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/filesystem.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"
#include "gpu/gpu.h"

namespace ceems::gpu {
namespace {

using test_support::FakeRunner;
using test_support::LogCapture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kTestData = CEEMS_TEST_DATA_DIR;
const std::string kFakeTool = kTestData + "/fake-smi";

constexpr std::string_view kRocmCsv =
    "device,Serial Number,PCI Bus,Card series,Card model,Card vendor,Card SKU\n"
    "card0,20170000800c,0000:C5:00.0,MI50,0x66a1,AMD,D16317\n"
    "card1,20170003580c,0000:C8:00.0,MI50,0x66a1,AMD,D16317";

std::string nvidia_xml() {
  auto text = real_filesystem().read_file(kTestData + "/nvidia-smi-3gpu-mig.xml");
  if (!text) ADD_FAILURE() << text.error().message();
  return text ? *text : std::string();
}

DiscoveryOptions both_fake(std::string type = "") {
  return {.type = std::move(type), .nvidia_smi_path = kFakeTool, .rocm_smi_path = kFakeTool};
}

TEST(GpuDiscover, NvidiaFirstWhenAuto) {
  FakeRunner runner;
  runner.answer_prefix("--query", CommandOutput{.output = nvidia_xml()});
  runner.answer_prefix("--showproductname", CommandOutput{.output = std::string(kRocmCsv)});
  LogCapture logs;
  auto devs = discover(both_fake(), runner, log::Logger());
  ASSERT_EQ(devs.size(), 3U);
  EXPECT_EQ(devs[1].mig_instances.size(), 3U);
  ASSERT_EQ(runner.calls().size(), 1U);
  const Command c = runner.calls()[0];
  EXPECT_THAT(c.argv, ElementsAre(kFakeTool, "--query", "--xml-format"));
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.max_output, size_t{16} << 20);
  EXPECT_TRUE(c.merge_stderr);
  EXPECT_THAT(logs.text(), HasSubstr("GPU devices found"));
  EXPECT_THAT(logs.text(), HasSubstr("type=nvidia"));
  EXPECT_THAT(logs.text(), HasSubstr("num_devs=3"));
}

TEST(GpuDiscover, NvidiaGarbageFallsThroughToAmd) {
  FakeRunner runner;
  runner.answer_prefix("--query",
                       CommandOutput{.output = "Failed to initialize NVML: Driver/library mismatch"});
  runner.answer_prefix("--showproductname", CommandOutput{.output = std::string(kRocmCsv)});
  LogCapture logs(log::Level::kDebug);
  auto devs = discover(both_fake(), runner, log::Logger());
  ASSERT_EQ(devs.size(), 2U);
  EXPECT_EQ(devs[0].uuid, "20170000800c");
  EXPECT_EQ(devs[1].global_index, "1");
  ASSERT_EQ(runner.calls().size(), 2U);
  EXPECT_THAT(runner.calls()[1].argv,
              ElementsAre(kFakeTool, "--showproductname", "--showserial", "--showbus", "--csv"));
  EXPECT_THAT(logs.text(), HasSubstr("Failed to initialize NVML"));
  EXPECT_THAT(logs.text(), HasSubstr("type=amd"));
  EXPECT_THAT(logs.text(), HasSubstr("num_devs=2"));
}

TEST(GpuDiscover, NvidiaNonZeroExitWarnsWithPathAndFallsThroughToAmd) {
  FakeRunner runner;
  runner.answer_prefix("--query", Error(ErrorKind::kIo, "command \"" + kFakeTool +
                                                            "\" exited with status 9: \"NVML: no driver\""));
  runner.answer_prefix("--showproductname", CommandOutput{.output = std::string(kRocmCsv)});
  LogCapture logs;
  auto devs = discover(both_fake(), runner, log::Logger());
  EXPECT_EQ(devs.size(), 2U);
  // Installed but failing is worth a warning even in auto mode: one line, naming
  // the tool's path and what it said.
  std::string text = logs.text();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;  // the WARN, then "found" for AMD
  EXPECT_THAT(text, HasSubstr("level=WARN"));
  EXPECT_THAT(text, HasSubstr("type=nvidia"));
  EXPECT_THAT(text, HasSubstr("path=" + kFakeTool));
  EXPECT_THAT(text, HasSubstr("exited with status 9"));
  EXPECT_THAT(text, HasSubstr("NVML: no driver"));
}

TEST(GpuDiscover, InstalledToolFailuresWarnInAutoMode) {
  const std::pair<const char*, Result<CommandOutput>> cases[] = {
      {"timed out", Error(ErrorKind::kTimeout, "command \"nvidia-smi\" timed out after 10000 ms")},
      {"not valid XML", CommandOutput{.output = "Unable to determine the device handle for GPU0000:10:00.0"}},
      {"could not be executed", Error(ErrorKind::kNotFound, "command \"nvidia-smi\" could not be executed")},
  };
  for (const auto& [expected, reply] : cases) {
    FakeRunner runner;
    runner.answer_prefix("--query", reply);
    LogCapture logs;
    DiscoveryOptions opts{.nvidia_smi_path = kFakeTool, .rocm_smi_path = kTestData + "/no-such-rocm-smi"};
    EXPECT_TRUE(discover(opts, runner, log::Logger()).empty());
    std::string text = logs.text();
    EXPECT_THAT(text, HasSubstr("level=WARN")) << expected;
    EXPECT_THAT(text, HasSubstr(expected));
    EXPECT_THAT(text, HasSubstr("path=" + kFakeTool)) << expected;
  }
}

TEST(GpuDiscover, EachFailingVendorWarnsOnce) {
  FakeRunner runner;
  runner.answer_prefix("--query", CommandOutput{.output = "<oops"});
  runner.answer_prefix("--showproductname", Error(ErrorKind::kIo, "rocm-smi exited with status 2"));
  LogCapture logs;
  EXPECT_TRUE(discover(both_fake(), runner, log::Logger()).empty());
  std::string text = logs.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  EXPECT_THAT(text, HasSubstr("type=nvidia"));
  EXPECT_THAT(text, HasSubstr("type=amd"));
  EXPECT_THAT(text, HasSubstr("rocm-smi exited with status 2"));
}

TEST(GpuDiscover, NotInstalledIsDebugOnlyInAutoMode) {
  FakeRunner runner;
  DiscoveryOptions opts{.nvidia_smi_path = kTestData + "/no-such-nvidia-smi",
                        .rocm_smi_path = kTestData + "/no-such-rocm-smi",
                        .amd_smi_path = kTestData + "/no-such-amd-smi"};
  {
    LogCapture logs;
    EXPECT_TRUE(discover(opts, runner, log::Logger()).empty());
    EXPECT_EQ(logs.text(), "");
  }
  LogCapture logs(log::Level::kDebug);
  EXPECT_TRUE(discover(opts, runner, log::Logger()).empty());
  EXPECT_THAT(logs.text(), HasSubstr("level=DEBUG"));
  EXPECT_THAT(logs.text(), HasSubstr("no-such-nvidia-smi"));
  EXPECT_TRUE(runner.calls().empty());
}

TEST(GpuDiscover, RocmSmiMessageInsteadOfTableWarns) {
  FakeRunner runner;
  runner.answer_prefix(
      "--showproductname",
      CommandOutput{.output = "ERROR:root:Driver not initialized (amdgpu not found in modules)"});
  LogCapture logs;
  EXPECT_TRUE(discover(both_fake("amd"), runner, log::Logger()).empty());
  EXPECT_THAT(logs.text(), HasSubstr("level=WARN"));
  EXPECT_THAT(logs.text(), HasSubstr("amdgpu not found in modules"));
}

TEST(GpuDiscover, ForcedNvidiaFailureDoesNotTryAmdAndWarns) {
  FakeRunner runner;
  runner.answer_prefix("--query", CommandOutput{.output = "<oops"});
  runner.answer_prefix("--showproductname", CommandOutput{.output = std::string(kRocmCsv)});
  LogCapture logs;
  auto devs = discover(both_fake("nvidia"), runner, log::Logger());
  EXPECT_TRUE(devs.empty());
  EXPECT_EQ(runner.calls().size(), 1U);
  EXPECT_THAT(logs.text(), HasSubstr("level=WARN"));
  EXPECT_THAT(logs.text(), HasSubstr("type=nvidia"));
}

TEST(GpuDiscover, ForcedAmdSkipsNvidia) {
  FakeRunner runner;
  runner.answer_prefix("--query", CommandOutput{.output = nvidia_xml()});
  runner.answer_prefix("--showproductname", CommandOutput{.output = std::string(kRocmCsv)});
  auto devs = discover(both_fake("amd"), runner, log::Logger());
  ASSERT_EQ(devs.size(), 2U);
  ASSERT_EQ(runner.calls().size(), 1U);
  EXPECT_EQ(runner.calls()[0].argv[1], "--showproductname");
}

TEST(GpuDiscover, AmdEmptyOutputIsSuccessWithNoDevices) {
  FakeRunner runner;
  runner.answer_prefix("--showproductname", CommandOutput{.output = ""});
  LogCapture logs;
  auto devs = discover(both_fake("amd"), runner, log::Logger());
  EXPECT_TRUE(devs.empty());
  EXPECT_THAT(logs.text(), HasSubstr("num_devs=0"));
}

TEST(GpuDiscover, BothFailIsEmpty) {
  FakeRunner runner;  // no replies: every run fails
  LogCapture logs;
  auto devs = discover(both_fake(), runner, log::Logger());
  EXPECT_TRUE(devs.empty());
  EXPECT_EQ(runner.calls().size(), 2U);
  EXPECT_THAT(logs.text(), Not(HasSubstr("GPU devices found")));
}

TEST(GpuDiscover, TruncatedOutputIsFailure) {
  FakeRunner runner;
  runner.answer_prefix("--query", CommandOutput{.output = nvidia_xml(), .truncated = true});
  auto devs = discover(both_fake("nvidia"), runner, log::Logger());
  EXPECT_TRUE(devs.empty());
}

TEST(GpuDiscover, MissingExplicitPathFailsThatVendorWithoutRunning) {
  FakeRunner runner;
  runner.answer_prefix("--query", CommandOutput{.output = nvidia_xml()});
  runner.answer_prefix("--showproductname", CommandOutput{.output = std::string(kRocmCsv)});
  LogCapture logs(log::Level::kDebug);
  DiscoveryOptions opts{.nvidia_smi_path = kTestData + "/no-such-nvidia-smi", .rocm_smi_path = kFakeTool};
  auto devs = discover(opts, runner, log::Logger());
  EXPECT_EQ(devs.size(), 2U);
  ASSERT_EQ(runner.calls().size(), 1U);
  EXPECT_EQ(runner.calls()[0].argv[1], "--showproductname");
  EXPECT_THAT(logs.text(), HasSubstr("no-such-nvidia-smi"));
}

TEST(GpuDiscover, ToolLookedUpOnPathWhenNoExplicitPath) {
  test_support::TempTree bin;
  bin.write("nvidia-smi", "#!/bin/sh\nexit 0\n", 0755);
  const char* old = std::getenv("PATH");
  std::string saved = old != nullptr ? old : "";
  ::setenv("PATH", bin.root().c_str(), 1);
  FakeRunner runner;
  runner.answer_prefix("--query", CommandOutput{.output = nvidia_xml()});
  auto devs = discover(DiscoveryOptions{}, runner, log::Logger());
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(devs.size(), 3U);
  // rocm-smi is not on the temporary PATH, so only nvidia-smi could have run.
  ASSERT_EQ(runner.calls().size(), 1U);
  EXPECT_EQ(runner.calls()[0].argv[0], bin.path("nvidia-smi"));
}

constexpr std::string_view kAmdSmiJson =
    R"([{"gpu": 0, "asic": {"market_name": "AMD Instinct MI300X", "asic_serial": "0x20170000800C"},)"
    R"( "bus": {"bdf": "0000:c5:00.0"}}])";

DiscoveryOptions amd_smi_only() {
  return {.type = "amd", .rocm_smi_path = kTestData + "/no-such-rocm-smi", .amd_smi_path = kFakeTool};
}

TEST(GpuDiscover, AmdSmiUsedWhenRocmSmiAbsent) {
  FakeRunner runner;
  runner.answer_prefix("static", CommandOutput{.output = std::string(kAmdSmiJson)});
  LogCapture logs(log::Level::kDebug);
  auto devs = discover(amd_smi_only(), runner, log::Logger());
  ASSERT_EQ(devs.size(), 1U);
  EXPECT_EQ(devs[0].uuid, "20170000800c");
  ASSERT_EQ(runner.calls().size(), 1U);
  const Command c = runner.calls()[0];
  EXPECT_THAT(c.argv, ElementsAre(kFakeTool, "static", "--asic", "--bus", "--json"));
  EXPECT_EQ(c.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.max_output, size_t{16} << 20);
  EXPECT_THAT(logs.text(), HasSubstr("type=amd"));
  EXPECT_THAT(logs.text(), HasSubstr("num_devs=1"));
}

TEST(GpuDiscover, AmdSmiFallbackAlsoInAutoModeAfterNvidia) {
  FakeRunner runner;
  runner.answer_prefix("static", CommandOutput{.output = std::string(kAmdSmiJson)});
  DiscoveryOptions opts = amd_smi_only();
  opts.type = "";
  opts.nvidia_smi_path = kTestData + "/no-such-nvidia-smi";
  auto devs = discover(opts, runner, log::Logger());
  ASSERT_EQ(devs.size(), 1U);
  EXPECT_EQ(runner.calls().size(), 1U);
}

TEST(GpuDiscover, AmdSmiNotCalledWhenRocmSmiPresent) {
  FakeRunner runner;
  runner.answer_prefix("--showproductname", CommandOutput{.output = std::string(kRocmCsv)});
  runner.answer_prefix("static", CommandOutput{.output = std::string(kAmdSmiJson)});
  DiscoveryOptions opts = both_fake("amd");
  opts.amd_smi_path = kFakeTool;
  auto devs = discover(opts, runner, log::Logger());
  EXPECT_EQ(devs.size(), 2U);
  ASSERT_EQ(runner.calls().size(), 1U);
  EXPECT_EQ(runner.calls()[0].argv[1], "--showproductname");
}

TEST(GpuDiscover, AmdSmiNotCalledWhenRocmSmiFails) {
  FakeRunner runner;
  runner.answer_prefix("--showproductname", Error(ErrorKind::kIo, "rocm-smi exited with status 2"));
  runner.answer_prefix("static", CommandOutput{.output = std::string(kAmdSmiJson)});
  DiscoveryOptions opts = both_fake("amd");
  opts.amd_smi_path = kFakeTool;
  LogCapture logs;
  auto devs = discover(opts, runner, log::Logger());
  EXPECT_TRUE(devs.empty());
  ASSERT_EQ(runner.calls().size(), 1U);
  EXPECT_THAT(logs.text(), HasSubstr("rocm-smi exited with status 2"));
}

TEST(GpuDiscover, AmdSmiBadOutputFailsAmd) {
  FakeRunner runner;
  runner.answer_prefix("static", CommandOutput{.output = "AMDSMI_STATUS_NOT_INIT"});
  LogCapture logs;
  auto devs = discover(amd_smi_only(), runner, log::Logger());
  EXPECT_TRUE(devs.empty());
  EXPECT_THAT(logs.text(), HasSubstr("level=WARN"));
  EXPECT_THAT(logs.text(), HasSubstr("not valid JSON"));
}

TEST(GpuDiscover, NeitherAmdToolFoundNamesBoth) {
  FakeRunner runner;
  DiscoveryOptions opts{.type = "amd",
                        .rocm_smi_path = kTestData + "/no-such-rocm-smi",
                        .amd_smi_path = kTestData + "/no-such-amd-smi"};
  LogCapture logs;
  auto devs = discover(opts, runner, log::Logger());
  EXPECT_TRUE(devs.empty());
  EXPECT_TRUE(runner.calls().empty());
  EXPECT_THAT(logs.text(), HasSubstr("no-such-rocm-smi"));
  EXPECT_THAT(logs.text(), HasSubstr("no-such-amd-smi"));
}

constexpr std::string_view kVgpuReport =
    "GPU 00000000:3B:00.0\n"
    "    Active vGPUs                      : 1\n"
    "    vGPU ID                           : 7\n"
    "        MDEV UUID                     : 0f0f0f0f-1111-4222-8333-444444444444\n"
    "        GPU Instance ID               : N/A\n";

std::vector<Device> one_vgpu_device() {
  std::vector<Device> d(1);
  d[0].bus_id = BusId{.domain = 0, .bus = 0x3B, .device = 0, .function = 0};
  d[0].vgpu_enabled = true;
  d[0].mdev_uuids = {"previous"};
  return d;
}

TEST(GpuRefreshVgpu, RunsQueryAndApplies) {
  FakeRunner runner;
  runner.answer_prefix("vgpu", CommandOutput{.output = std::string(kVgpuReport)});
  std::vector<Device> d = one_vgpu_device();
  Status st = refresh_vgpu(d, both_fake(), runner);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_THAT(d[0].mdev_uuids, ElementsAre("0f0f0f0f-1111-4222-8333-444444444444"));
  ASSERT_EQ(runner.calls().size(), 1U);
  EXPECT_THAT(runner.calls()[0].argv, ElementsAre(kFakeTool, "vgpu", "--query"));
  EXPECT_EQ(runner.calls()[0].timeout, std::chrono::milliseconds(10000));
}

TEST(GpuRefreshVgpu, FailuresLeaveDevicesUnchanged) {
  struct Case {
    const char* name;
    Result<CommandOutput> reply;
  };
  const Case cases[] = {
      {"exit", Error(ErrorKind::kIo, "nvidia-smi exited with status 6")},
      {"garbage", CommandOutput{.output = "No devices were found"}},
      {"truncated", CommandOutput{.output = std::string(kVgpuReport), .truncated = true}},
  };
  for (const Case& c : cases) {
    FakeRunner runner;
    runner.answer_prefix("vgpu", c.reply);
    std::vector<Device> d = one_vgpu_device();
    Status st = refresh_vgpu(d, both_fake(), runner);
    EXPECT_FALSE(st.ok()) << c.name;
    EXPECT_THAT(d[0].mdev_uuids, ElementsAre("previous")) << c.name;
  }
}

TEST(GpuRefreshVgpu, MissingToolIsNotFound) {
  FakeRunner runner;
  std::vector<Device> d = one_vgpu_device();
  DiscoveryOptions opts{.nvidia_smi_path = kTestData + "/no-such-nvidia-smi"};
  Status st = refresh_vgpu(d, opts, runner);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(runner.calls().empty());
  EXPECT_THAT(d[0].mdev_uuids, ElementsAre("previous"));
}

TEST(GpuFlags, RegisteredHiddenWithEmptyEnumDefault) {
  FlagSet flags("test");
  register_gpu_flags(flags);
  ASSERT_TRUE(flags.parse({}).ok());
  DiscoveryOptions o = discovery_options(flags);
  EXPECT_EQ(o.type, "");
  EXPECT_EQ(o.nvidia_smi_path, "");
  EXPECT_EQ(o.rocm_smi_path, "");
  EXPECT_EQ(o.amd_smi_path, "");
  EXPECT_THAT(flags.usage(), Not(HasSubstr("collector.gpu")));
}

TEST(GpuFlags, Values) {
  FlagSet flags("test");
  register_gpu_flags(flags);
  ASSERT_TRUE(flags
                  .parse({"--collector.gpu.type=amd", "--collector.gpu.nvidia-smi-path", "/opt/n",
                          "--collector.gpu.rocm-smi-path=/opt/r", "--collector.gpu.amd-smi-path=/opt/a"})
                  .ok());
  DiscoveryOptions o = discovery_options(flags);
  EXPECT_EQ(o.type, "amd");
  EXPECT_EQ(o.nvidia_smi_path, "/opt/n");
  EXPECT_EQ(o.rocm_smi_path, "/opt/r");
  EXPECT_EQ(o.amd_smi_path, "/opt/a");
}

TEST(GpuFlags, UnknownTypeRejected) {
  FlagSet flags("test");
  register_gpu_flags(flags);
  auto r = flags.parse({"--collector.gpu.type=intel"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("collector.gpu.type"));
}

}  // namespace
}  // namespace ceems::gpu
