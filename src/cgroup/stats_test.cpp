#include "cgroup/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/testing/overlay_filesystem.h"
#include "core/testing/test_support.h"

namespace ceems::cgroup {
namespace {

const std::string kData = CEEMS_TEST_DATA_DIR;

// Units as a layout finds them (id, raw path relative to the hierarchy's base):
// the readers take them as given.
std::vector<ComputeUnit> units_of(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<ComputeUnit> out;
  for (const auto& [id, rel] : list) {
    ComputeUnit u;
    u.id = u.uuid = id;
    u.path.rel = rel;
    out.push_back(std::move(u));
  }
  return out;
}

// The units of this directory's trees (testdata/v1, testdata/v2).
std::vector<ComputeUnit> slurm_units(Mode mode) {
  if (mode == Mode::kLegacy) {
    return units_of({{"10", "slurm/uid_1000/job_10"},
                     {"30", "slurm/uid_1000/job_30"},
                     {"20", "slurm_node1/uid_0/job_20"}});
  }
  return units_of({{"2", "system.slice/node1_slurmstepd.scope/job_2"},
                   {"1", "system.slice/slurmstepd.scope/job_1"},
                   {"3", "system.slice/slurmstepd.scope/job_3"}});
}
std::vector<ComputeUnit> libvirt_v1_units() {
  return units_of(
      {{"instance-00000002", "machine/qemu-2-instance-00000002.libvirt-qemu"},
       {"instance-00000001", R"(machine.slice/machine-qemu\x2d1\x2dinstance\x2d00000001.scope)"}});
}

std::string collect(Stats& stats, std::span<const ComputeUnit> units) {
  MetricBatch batch;
  stats.collect(units, batch);
  return test_support::render(batch);
}

// ---- the shared conformance fixtures, when this checkout has them ----

// The lines of the ceems_compute_unit* / ceems_compute_units families (GPU flags,
// emitted by the collectors, excluded).
std::string compute_lines(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    std::string name = line;
    if (name.rfind("# HELP ", 0) == 0 || name.rfind("# TYPE ", 0) == 0) name = name.substr(7);
    if (name.rfind("ceems_compute_unit", 0) != 0) continue;
    if (name.rfind("ceems_compute_unit_gpu_index_flag", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

class CgroupConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(kData) / "../../../../shared/conformance";
    if (!std::filesystem::exists(root_ / "fixtures/sys/fs/cgroup"))
      GTEST_SKIP() << "no shared conformance tree";
    fixtures_ = (root_ / "fixtures").lexically_normal().string();
  }
  std::string expected(const std::string& name) {
    std::ifstream in(root_ / "expected" / name);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string lines = compute_lines(ss.str());
    EXPECT_NE(lines.find("ceems_compute_units{"), std::string::npos) << name;
    return lines;
  }
  std::string run(const std::string& manager, Mode mode, const std::string& subsystem, StatsOptions opts,
                  std::vector<ComputeUnit> units, const std::map<std::string, std::string>& uuids = {}) {
    HostFs host(fixtures_ + "/proc", fixtures_ + "/sys", fixtures_ + "/sys/fs/cgroup");
    for (auto& u : units) {
      if (auto it = uuids.find(u.id); it != uuids.end()) u.uuid = it->second;
    }
    opts.active_subsystem = subsystem;
    test_support::LogCapture quiet;
    Stats stats(host, mode, manager, "", opts, log::Logger());
    return compute_lines(collect(stats, units));
  }
  static std::vector<ComputeUnit> jobs(const std::string& parent) {
    std::vector<ComputeUnit> out;
    for (const char* id : {"1009248", "1009249", "1009250"}) {
      ComputeUnit u;
      u.id = u.uuid = id;
      u.path.rel = parent + "/job_" + id;
      out.push_back(std::move(u));
    }
    return out;
  }
  std::filesystem::path root_;
  std::string fixtures_;
};

TEST_F(CgroupConformance, SlurmV1) {
  EXPECT_EQ(run("slurm", Mode::kLegacy, "cpuacct", {}, jobs("slurm/uid_1000")),
            expected("exporter-cgroups-v1.txt"));
}

TEST_F(CgroupConformance, SlurmV1MemorySubsystem) {
  EXPECT_EQ(run("slurm", Mode::kLegacy, "memory", {}, jobs("slurm/uid_1000")),
            expected("exporter-cgroups-v1-memory-subsystem.txt"));
}

TEST_F(CgroupConformance, LibvirtV1SwapPsiBlkio) {
  const std::map<std::string, std::string> uuids = {
      {"instance-00000001", "b674a0a2-c300-4dc6-8c9c-65df16da6d69"},
      {"instance-00000002", "57f2d45e-8ddf-4338-91df-62d0044ff1b5"},
      {"instance-00000003", "2896bdd5-dbc2-4339-9d8e-ddd838bf35d3"},
      {"instance-00000004", "4de89c5b-50d7-4d30-a630-14e135380fe8"}};
  std::vector<ComputeUnit> vms;
  for (const char* n : {"1", "2", "3", "4"}) {
    ComputeUnit u;
    u.id = u.uuid = std::string("instance-0000000") + n;
    u.path.rel = std::string(R"(machine.slice/machine-qemu\x2d2\x2dinstance\x2d0000000)") + n + ".scope";
    vms.push_back(std::move(u));
  }
  EXPECT_EQ(run("libvirt", Mode::kLegacy, "cpuacct", {.swap = true, .psi = true, .blkio = true}, vms, uuids),
            expected("exporter-cgroups-v1-libvirt.txt"));
}

TEST_F(CgroupConformance, SlurmV2) {
  EXPECT_EQ(run("slurm", Mode::kUnified, "cpuacct", {}, jobs("system.slice/slurmstepd.scope")),
            expected("exporter-cgroups-v2-nogpu.txt"));
  EXPECT_EQ(run("slurm", Mode::kUnified, "cpuacct", {.threads = 1}, jobs("system.slice/slurmstepd.scope")),
            expected("exporter-cgroups-v2-procfs.txt"));
}

// ---- this directory's fixture trees ----

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares with testdata/expected/<name>; CEEMS_UPDATE_GOLDEN=1 rewrites the file.
void expect_golden(const std::string& got, const std::string& name) {
  std::string path = kData + "/expected/" + name;
  if (std::getenv("CEEMS_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << got;
  EXPECT_EQ(got, read_text(path)) << name;
}

struct Trees {
  HostFs v1{kData + "/proc", kData + "/sys", kData + "/v1"};
  HostFs v2{kData + "/proc", kData + "/sys", kData + "/v2"};
};

TEST(CgroupStats, V1SlurmEveryFamily) {
  // job_10: every file; job_30: malformed cpuacct.stat (errored: zeros, cpus kept,
  // collect_error 1); job_20 (slurm_node1): no memory.oom_control, no cpuset.
  Trees t;
  auto units = slurm_units(Mode::kLegacy);
  ASSERT_EQ(units.size(), 3U);
  test_support::LogCapture logs;
  Stats stats(t.v1, Mode::kLegacy, "slurm", "node", {.swap = true, .psi = true}, log::Logger());
  expect_golden(collect(stats, units), "v1-slurm.txt");
  EXPECT_NE(logs.text().find("job_30/cpuacct.stat: invalid value"), std::string::npos) << logs.text();
}

TEST(CgroupStats, V1ReadValues) {
  Trees t;
  auto units = slurm_units(Mode::kLegacy);
  ASSERT_FALSE(units.empty());
  Stats stats(t.v1, Mode::kLegacy, "slurm", "", {}, log::Logger());
  UnitStats s = stats.read(units[0]);
  EXPECT_FALSE(s.error);
  EXPECT_FALSE(s.vanished);
  EXPECT_DOUBLE_EQ(s.cpu_user_seconds, 1.5);
  EXPECT_DOUBLE_EQ(s.cpu_system_seconds, 0.25);
  EXPECT_EQ(s.cpus, 5U);
  EXPECT_EQ(s.memory_rss, 8192U);
  EXPECT_EQ(s.memory_cache, 4096U);
  EXPECT_EQ(s.memory_used, 20480U);
  EXPECT_EQ(s.memory_total, 1024000U);  // 2^64-1 → host MemTotal
  EXPECT_EQ(s.memory_fail_count, 3U);
  EXPECT_EQ(s.memsw_used, 30000U);
  EXPECT_EQ(s.memsw_total, 1024000U);  // 2^64-1, no swap → MemTotal
  EXPECT_EQ(s.memsw_fail_count, 1U);
  ASSERT_EQ(s.rdma.size(), 2U);
  EXPECT_EQ(s.rdma.at("mlx5_0").handles, 2U);
  EXPECT_EQ(s.rdma.at("mlx5_0").objects, 20U);
  EXPECT_TRUE(s.blkio.empty());
}

TEST(CgroupStats, V1LibvirtBlkio) {
  // Read bytes only for sda: sdb (only Write lines) emits nothing; zero values are not emitted.
  Trees t;
  auto units = libvirt_v1_units();
  ASSERT_EQ(units.size(), 2U);
  Stats stats(t.v1, Mode::kLegacy, "libvirt", "", {.blkio = true}, log::Logger());
  expect_golden(collect(stats, units), "v1-libvirt.txt");
  Stats without(t.v1, Mode::kLegacy, "libvirt", "", {}, log::Logger());
  EXPECT_EQ(collect(without, units).find("blkio"), std::string::npos);
}

TEST(CgroupStats, V2SlurmEveryFamily) {
  // job_1: every file; job_2: no cpu controller listed, memory.max numeric, no
  // memory.events; job_3: no cgroup.controllers (errored, cpus kept).
  Trees t;
  auto units = slurm_units(Mode::kUnified);
  ASSERT_EQ(units.size(), 3U);
  test_support::LogCapture quiet;
  Stats stats(t.v2, Mode::kUnified, "slurm", "", {.swap = true, .psi = true, .blkio = true}, log::Logger());
  expect_golden(collect(stats, units), "v2-slurm.txt");
}

TEST(CgroupStats, OptionalFamiliesOff) {
  Trees t;
  auto units = slurm_units(Mode::kUnified);
  test_support::LogCapture quiet;
  Stats stats(t.v2, Mode::kUnified, "slurm", "", {}, log::Logger());
  std::string text = collect(stats, units);
  for (const char* absent : {"memsw", "psi", "blkio"})
    EXPECT_EQ(text.find(absent), std::string::npos) << absent;
  EXPECT_NE(text.find("ceems_compute_unit_rdma_hca_handles{"), std::string::npos);
  EXPECT_NE(text.find("ceems_compute_units{hostname=\"\",manager=\"slurm\"} 3"), std::string::npos);
}

TEST(CgroupStats, ThreadsGiveTheSameResult) {
  Trees t;
  for (Mode mode : {Mode::kLegacy, Mode::kUnified}) {
    const HostFs& host = mode == Mode::kLegacy ? t.v1 : t.v2;
    auto units = slurm_units(mode);
    std::vector<ComputeUnit> many;
    for (int i = 0; i < 20; ++i) {
      for (auto u : units) {
        u.uuid += "-" + std::to_string(i);
        many.push_back(u);
      }
    }
    test_support::LogCapture quiet(log::Level::kError);
    Stats one(host, mode, "slurm", "", {.swap = true, .psi = true, .blkio = true, .threads = 1},
              log::Logger());
    Stats four(host, mode, "slurm", "", {.swap = true, .psi = true, .blkio = true, .threads = 4},
               log::Logger());
    Stats dflt(host, mode, "slurm", "", {.swap = true, .psi = true, .blkio = true}, log::Logger());
    std::string a = collect(one, many);
    EXPECT_EQ(a, collect(four, many));
    EXPECT_EQ(a, collect(dflt, many));
  }
}

TEST(CgroupStats, VanishedUnitIsDropped) {
  Trees t;
  for (Mode mode : {Mode::kLegacy, Mode::kUnified}) {
    const HostFs& host = mode == Mode::kLegacy ? t.v1 : t.v2;
    auto units = slurm_units(mode);
    test_support::LogCapture quiet;
    Stats stats(host, mode, "slurm", "", {}, log::Logger());
    std::string before = collect(stats, units);
    ComputeUnit gone;
    gone.id = gone.uuid = "77";
    gone.path.rel = mode == Mode::kLegacy ? "slurm/uid_1000/job_77" : "system.slice/slurmstepd.scope/job_77";
    units.insert(units.begin() + 1, gone);
    UnitStats s = stats.read(gone);
    EXPECT_TRUE(s.vanished);
    EXPECT_EQ(collect(stats, units), before);  // not reported, not an error, not counted
  }
}

TEST(CgroupStats, ErroredUnitThatStillExistsIsReported) {
  // v1 with an active subsystem no stats controller covers: the unit exists, so it
  // is reported as errored rather than dropped.
  test_support::TempTree t;
  t.write("cg/freezer/slurm/uid_0/job_5/cgroup.procs", "");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto units = units_of({{"5", "slurm/uid_0/job_5"}});
  ASSERT_EQ(units.size(), 1U);
  test_support::LogCapture quiet(log::Level::kError);
  Stats stats(host, Mode::kLegacy, "slurm", "", {.active_subsystem = "freezer"}, log::Logger());
  std::string text = collect(stats, units);
  EXPECT_NE(text.find("ceems_compute_unit_collect_error{hostname=\"\",manager=\"slurm\",uuid=\"5\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ceems_compute_units{hostname=\"\",manager=\"slurm\"} 1"), std::string::npos);
}

TEST(CgroupStats, CpuCountsAreCachedWhileTheUnitLives) {
  test_support::TempTree t;
  t.write("cg/system.slice/slurmstepd.scope/job_1/cgroup.controllers", "cpuset cpu memory\n");
  t.write("cg/system.slice/slurmstepd.scope/job_1/cpuset.cpus.effective", "0-3\n");
  t.write("cg/system.slice/slurmstepd.scope/job_2/cgroup.controllers", "cpuset cpu memory\n");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto units =
      units_of({{"1", "system.slice/slurmstepd.scope/job_1"}, {"2", "system.slice/slurmstepd.scope/job_2"}});
  ASSERT_EQ(units.size(), 2U);
  test_support::LogCapture quiet;
  Stats stats(host, Mode::kUnified, "slurm", "", {}, log::Logger());
  const std::string cpus1 = "ceems_compute_unit_cpus{hostname=\"\",manager=\"slurm\",uuid=\"1\"} ";
  const std::string cpus2 = "ceems_compute_unit_cpus{hostname=\"\",manager=\"slurm\",uuid=\"2\"} ";
  EXPECT_NE(collect(stats, units).find(cpus1 + "4"), std::string::npos);
  t.write("cg/system.slice/slurmstepd.scope/job_1/cpuset.cpus.effective", "0-1\n");
  t.write("cg/system.slice/slurmstepd.scope/job_2/cpuset.cpus.effective", "7\n");
  std::string second = collect(stats, units);
  EXPECT_NE(second.find(cpus1 + "4"), std::string::npos) << second;  // cached
  EXPECT_NE(second.find(cpus2 + "1"), std::string::npos) << second;  // 0 was not cached
  // A scrape without the unit evicts it; the next one reads the file again.
  (void)collect(stats, std::span<const ComputeUnit>(units.data() + 1, 1));
  EXPECT_NE(collect(stats, units).find(cpus1 + "2"), std::string::npos);
}

TEST(CgroupStats, CpuCountIsReadAgainForARecreatedDirectory) {
  test_support::TempTree t;
  t.write("cg/system.slice/slurmstepd.scope/job_1/cgroup.controllers", "cpuset cpu memory\n");
  t.write("cg/system.slice/slurmstepd.scope/job_1/cpuset.cpus.effective", "0-3\n");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto units = units_of({{"1", "system.slice/slurmstepd.scope/job_1"}});
  units[0].inode = 100;
  test_support::LogCapture quiet;
  Stats stats(host, Mode::kUnified, "slurm", "", {}, log::Logger());
  const std::string cpus = "ceems_compute_unit_cpus{hostname=\"\",manager=\"slurm\",uuid=\"1\"} ";
  EXPECT_NE(collect(stats, units).find(cpus + "4"), std::string::npos);
  // The job is requeued: same name, new directory, new cpuset.
  t.write("cg/system.slice/slurmstepd.scope/job_1/cpuset.cpus.effective", "0-1\n");
  EXPECT_NE(collect(stats, units).find(cpus + "4"), std::string::npos);  // same directory: cached
  units[0].inode = 101;
  EXPECT_NE(collect(stats, units).find(cpus + "2"), std::string::npos);
}

// The names of the files the readers opened, in order.
std::vector<std::string> read_names(const test_support::OverlayFilesystem& fs) {
  std::vector<std::string> out;
  for (const std::string& path : fs.reads()) out.push_back(path.substr(path.rfind('/') + 1));
  return out;
}

// What the readers asked whether it exists.
std::vector<std::string> probes(const test_support::OverlayFilesystem& fs) {
  return fs.paths({test_support::FsOp::kLexists});
}

TEST(CgroupStats, V2ReadsOnlyTheFilesTheOutputNeeds) {
  test_support::TempTree t;
  const std::string job = "cg/system.slice/slurmstepd.scope/job_1/";
  t.write(job + "cgroup.controllers", "cpuset cpu io memory pids\n");
  t.write(job + "cpu.stat", "user_usec 1000000\nsystem_usec 0\n");
  t.write(job + "memory.stat", "anon 1\nfile 2\n");
  t.write(job + "memory.events", "oom 0\n");
  t.write(job + "memory.current", "10\n");
  t.write(job + "memory.max", "max\n");
  t.write(job + "cpuset.cpus.effective", "0\n");
  for (const char* f :
       {"memory.swap.current", "memory.swap.max", "cpu.pressure", "memory.pressure", "io.stat"})
    t.write(job + f, "");
  test_support::OverlayFilesystem fs;
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"), &fs);
  auto units = units_of({{"1", "system.slice/slurmstepd.scope/job_1"}});
  test_support::LogCapture quiet;
  Stats stats(host, Mode::kUnified, "slurm", "", {}, log::Logger());
  fs.clear_calls();
  (void)collect(stats, units);
  EXPECT_EQ(read_names(fs), (std::vector<std::string>{"cgroup.controllers", "cpu.stat", "memory.stat",
                                                      "memory.events", "memory.current", "memory.max",
                                                      "rdma.current", "cpuset.cpus.effective"}));
  // All files were there: nothing asks whether the unit vanished.
  EXPECT_TRUE(probes(fs).empty()) << probes(fs).front();
  // What cannot change while the unit lives is not read again: the CPU count,
  // the controllers, and that there is no rdma.current.
  fs.clear_calls();
  (void)collect(stats, units);
  EXPECT_EQ(read_names(fs), (std::vector<std::string>{"cpu.stat", "memory.stat", "memory.events",
                                                      "memory.current", "memory.max"}));

  Stats all(host, Mode::kUnified, "slurm", "", {.swap = true, .psi = true, .blkio = true}, log::Logger());
  fs.clear_calls();
  (void)collect(all, units);
  const std::vector<std::string> names = read_names(fs);
  for (const char* f :
       {"memory.swap.current", "memory.swap.max", "cpu.pressure", "memory.pressure", "io.stat"})
    EXPECT_NE(std::find(names.begin(), names.end(), f), names.end()) << f;
}

TEST(CgroupStats, NoUnits) {
  Trees t;
  Stats stats(t.v2, Mode::kUnified, "libvirt", "h", {}, log::Logger());
  EXPECT_EQ(collect(stats, {}),
            "# HELP ceems_compute_units Total number of jobs\n# TYPE ceems_compute_units gauge\n"
            "ceems_compute_units{hostname=\"h\",manager=\"libvirt\"} 0\n");
}

TEST(CgroupStats, MissingHostFilesAreLogged) {
  test_support::TempTree t;
  test_support::LogCapture logs;
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  Stats stats(host, Mode::kUnified, "slurm", "", {}, log::Logger());
  EXPECT_NE(logs.text().find("meminfo"), std::string::npos);
  EXPECT_NE(logs.text().find("block devices"), std::string::npos);
}

}  // namespace
}  // namespace ceems::cgroup
