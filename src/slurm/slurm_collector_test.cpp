#include "slurm/slurm_collector.h"

#include <gtest/gtest.h>

#include <string>

#include "cgroup/mode.h"
#include "core/command_runner.h"
#include "core/privileges.h"
#include "core/testing/fake_runner.h"
#include "core/testing/overlay_filesystem.h"
#include "core/testing/test_support.h"
#include "ebpf/ebpf.h"
#include "gpu/gpu.h"
#include "perf/perf.h"
#include "rdma/rdma.h"

namespace ceems::slurm {
namespace {

using namespace std::string_literals;
using test_support::render;
using test_support::TempTree;

// nvidia-smi with two whole GPUs.
constexpr const char* kSmiXml =
    "<?xml version=\"1.0\" ?>\n<nvidia_smi_log>\n"
    "<gpu id=\"00000000:10:00.0\"><uuid>GPU-aaaa</uuid><mig_mode><current_mig>Disabled</current_mig>"
    "</mig_mode><mig_devices>None</mig_devices></gpu>\n"
    "<gpu id=\"00000000:11:00.0\"><uuid>GPU-bbbb</uuid><mig_mode><current_mig>Disabled</current_mig>"
    "</mig_mode><mig_devices>None</mig_devices></gpu>\n</nvidia_smi_log>\n";

class SlurmCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_.answer_prefix("--query", kSmiXml);
    t_.write("smi/nvidia-smi", "#!/bin/sh\n", 0755);
    add_job("7", 100, "SLURM_JOB_ID=7\0SLURM_JOB_GPUS=1\0"s);
    add_job("8", 200, "SLURM_JOB_ID=8\0PATH=/bin\0"s);  // a CPU-only job
  }

  void add_job(const std::string& id, int pid, const std::string& environ) {
    std::string job = "cg/system.slice/slurmstepd.scope/job_" + id;
    t_.write(job + "/cgroup.controllers", "cpu memory\n");
    t_.write(job + "/cgroup.procs", "");
    t_.write(job + "/cpu.stat", "usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n");
    t_.write(job + "/step_0/cgroup.procs", std::to_string(pid) + "\n");
    t_.write("proc/" + std::to_string(pid) + "/environ", environ);
  }

  Result<std::unique_ptr<Collector>> make(std::vector<std::string> args) {
    flags_ = std::make_unique<FlagSet>("test");
    register_slurm_flags(*flags_);
    cgroup::register_cgroup_flags(*flags_);
    gpu::register_gpu_flags(*flags_);
    rdma::register_rdma_flags(*flags_);
    perf::register_perf_flags(*flags_);
    ebpf::register_ebpf_flags(*flags_);
    args.emplace_back("--collector.cgroups.force-version=v2");
    EXPECT_TRUE(flags_->parse(args).ok());
    host_ = std::make_unique<HostFs>(t_.path("proc"), t_.path("sys"), t_.path("cg"), &fs_);
    CollectorContext ctx{*flags_, *host_, runner_, privileges_, "node1", false, log::Logger()};
    return make_slurm_collector(ctx);
  }

  std::vector<std::string> gpu_args() {
    return {"--collector.gpu.type=nvidia", "--collector.gpu.nvidia-smi-path=" + t_.path("smi/nvidia-smi")};
  }

  // Environ reads are counted: each process is read once.
  size_t environ_reads() const {
    return fs_.count_reads([](std::string_view path) { return path.ends_with("/environ"); });
  }

  TempTree t_;
  test_support::OverlayFilesystem fs_;
  test_support::FakeRunner runner_;
  NoPrivileges privileges_;
  std::unique_ptr<FlagSet> flags_;
  std::unique_ptr<HostFs> host_;
};

TEST_F(SlurmCollectorTest, ReportsJobsAndTheirGpus) {
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  std::string text = render(out);
  EXPECT_NE(text.find("ceems_compute_units{hostname=\"node1\",manager=\"slurm\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(
      text.find("ceems_compute_unit_cpu_user_seconds_total{hostname=\"node1\",manager=\"slurm\",uuid=\"7\"} "
                "1.5\n"),
      std::string::npos);
  EXPECT_NE(text.find("ceems_compute_unit_gpu_index_flag{gpuuuid=\"GPU-bbbb/\",hindex=\"node1/gpu-1\","
                      "hostname=\"node1\",index=\"1\",manager=\"slurm\",uuid=\"7\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("uuid=\"8\"} 1\n# "), std::string::npos);
  EXPECT_EQ((*c)->capabilities(), (std::vector<std::string>{"cap_sys_ptrace", "cap_dac_read_search"}));
}

TEST_F(SlurmCollectorTest, ReadsEachProcessEnvironmentOnce) {
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_EQ(environ_reads(), 2U);
  out.clear();
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_EQ(environ_reads(), 2U);  // GPU job done, CPU-only job has no new process

  // A new process in the CPU-only job is read, once.
  t_.write("cg/system.slice/slurmstepd.scope/job_8/step_0/cgroup.procs", "200\n201\n");
  t_.write("proc/201/environ", "SLURM_JOB_ID=8\0SLURM_STEP_GPUS=0\0"s);
  out.clear();
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_EQ(environ_reads(), 3U);
  EXPECT_NE(render(out).find("gpuuuid=\"GPU-aaaa/\",hindex=\"node1/gpu-0\",hostname=\"node1\",index=\"0\","
                             "manager=\"slurm\",uuid=\"8\"} 1"),
            std::string::npos);
  out.clear();
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_EQ(environ_reads(), 3U);
}

TEST_F(SlurmCollectorTest, EndedJobIsForgotten) {
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  std::filesystem::remove_all(t_.path("cg/system.slice/slurmstepd.scope/job_7"));
  out.clear();
  ASSERT_TRUE((*c)->update(out).ok());
  std::string text = render(out);
  EXPECT_EQ(text.find("uuid=\"7\""), std::string::npos) << text;
  EXPECT_NE(text.find("ceems_compute_units{hostname=\"node1\",manager=\"slurm\"} 1\n"), std::string::npos);
}

TEST_F(SlurmCollectorTest, GpuJobMapReplacesEnvironReading) {
  t_.write("map/0", "8\n");
  t_.write("map/1", "7\n");
  auto args = gpu_args();
  args.push_back("--collector.slurm.gpu-job-map-path=" + t_.path("map"));
  auto c = make(args);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->capabilities().empty());
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_EQ(environ_reads(), 0U);
  std::string text = render(out);
  EXPECT_NE(text.find("index=\"0\",manager=\"slurm\",uuid=\"8\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("index=\"1\",manager=\"slurm\",uuid=\"7\"} 1"), std::string::npos) << text;
}

TEST_F(SlurmCollectorTest, NoGpusNoFlagsNoCapabilities) {
  auto c = make({"--collector.gpu.type=nvidia", "--collector.gpu.nvidia-smi-path=" + t_.path("smi/missing")});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->capabilities().empty());
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_EQ(render(out).find("gpu_index_flag"), std::string::npos);
  EXPECT_EQ(environ_reads(), 0U);
}

TEST_F(SlurmCollectorTest, MissingHierarchyFailsTheScrapeOnly) {
  std::filesystem::remove_all(t_.path("cg/system.slice"));
  auto c = make({});
  ASSERT_TRUE(c.ok());
  MetricBatch out;
  auto st = (*c)->update(out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("failed to discover cgroups"), std::string::npos)
      << st.error().message();
}

TEST_F(SlurmCollectorTest, MalformedOrderMapIsAStartUpError) {
  auto c = make({"--collector.slurm.gpu-order-map=0:1,x"});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("\"x\""), std::string::npos) << c.error().message();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(SlurmCollectorTest, OrderMapEntryDiscoveryDidNotFindIsWarnedAtStartUp) {
  test_support::LogCapture logs;
  auto args = gpu_args();
  args.push_back("--collector.slurm.gpu-order-map=0:1,1:0,2:0.3,3:9");
  auto c = make(args);
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::string text = logs.text();
  EXPECT_EQ(count(text, "level=WARN"), 2U) << text;
  EXPECT_NE(text.find("entry=2:0.3"), std::string::npos) << text;
  EXPECT_NE(text.find("GPU 0 (GPU-aaaa) is not MIG-enabled"), std::string::npos) << text;
  EXPECT_NE(text.find("entry=3:9"), std::string::npos) << text;
  EXPECT_NE(text.find("no GPU at position 9; GPUs discovered at positions 0,1"), std::string::npos) << text;

  // The scrapes add nothing for the map; job 7's ordinal 1 is GPU 0 now.
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_NE(render(out).find("gpuuuid=\"GPU-aaaa/\",hindex=\"node1/gpu-1\""), std::string::npos)
      << render(out);
  out.clear();
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_EQ(count(logs.text(), "level=WARN"), 2U) << logs.text();
}

TEST_F(SlurmCollectorTest, OrderMapWithoutAnyGpuIsOneWarning) {
  test_support::LogCapture logs;
  auto c = make({"--collector.gpu.type=amd", "--collector.gpu.rocm-smi-path=" + t_.path("smi/missing"),
                 "--collector.gpu.amd-smi-path=" + t_.path("smi/missing"),
                 "--collector.slurm.gpu-order-map=0:1,1:0.3,2:0.4"});
  ASSERT_TRUE(c.ok());
  std::string text = logs.text();
  EXPECT_EQ(count(text, "GPU order map"), 1U) << text;
  EXPECT_NE(text.find("no GPU was discovered"), std::string::npos) << text;
}

TEST_F(SlurmCollectorTest, OrdinalMatchingNoGpuIsWarnedOncePerOrdinal) {
  add_job("9", 300, "SLURM_JOB_ID=9\0SLURM_JOB_GPUS=4,1\0"s);
  test_support::LogCapture logs;
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  EXPECT_NE(render(out).find("gpuuuid=\"/\",hindex=\"node1/gpu-4\""), std::string::npos) << render(out);
  out.clear();
  ASSERT_TRUE((*c)->update(out).ok());
  std::string text = logs.text();
  EXPECT_EQ(count(text, "level=WARN"), 1U) << text;
  EXPECT_NE(text.find("ordinal=4"), std::string::npos) << text;
  EXPECT_NE(text.find("jobid=9"), std::string::npos) << text;
  EXPECT_NE(text.find("discovered_ordinals=0,1"), std::string::npos) << text;
}

TEST_F(SlurmCollectorTest, DeprecatedAliasesStillWork) {
  auto c = make({"--collector.slurm.swap.memory.metrics", "--collector.slurm.psi.metrics"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(flags_->get_bool("collector.slurm.swap-memory-metrics"));
  EXPECT_TRUE(flags_->get_bool("collector.slurm.psi-metrics"));
  MetricBatch out;
  ASSERT_TRUE((*c)->update(out).ok());
  std::string text = render(out);
  EXPECT_NE(text.find("ceems_compute_unit_memsw_total_bytes"), std::string::npos);
  EXPECT_NE(text.find("ceems_compute_unit_cpu_psi_seconds"), std::string::npos);
}

}  // namespace
}  // namespace ceems::slurm
