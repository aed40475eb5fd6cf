#include "cgroup/manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "core/testing/test_support.h"

namespace ceems::cgroup {
namespace {

const std::string kData = CEEMS_TEST_DATA_DIR;

std::vector<std::string> rels(const std::vector<CgroupPath>& v) {
  std::vector<std::string> out;
  for (const auto& p : v) out.push_back(p.rel);
  return out;
}

std::vector<ComputeUnit> discover(const HostFs& host, ManagerKind kind, Mode mode,
                                  std::string subsystem = "cpuacct") {
  Manager m(host, ManagerOptions{kind, mode, std::move(subsystem)}, log::Logger());
  auto units = m.discover();
  EXPECT_TRUE(units.ok()) << (units.ok() ? "" : units.error().message());
  return units.ok() ? *units : std::vector<ComputeUnit>{};
}

// ---- flags and mode ----

TEST(CgroupFlags, Registered) {
  FlagSet flags("test");
  register_cgroup_flags(flags);
  register_cgroup_flags(flags);  // idempotent
  ASSERT_TRUE(flags.parse({}).ok());
  EXPECT_EQ(flags.get_string("collector.cgroups.force-version"), "");
  EXPECT_EQ(flags.get_string("collector.cgroup.active-subsystem"), "cpuacct");
  EXPECT_EQ(flags.usage().find("force-version"), std::string::npos);  // hidden
  EXPECT_NE(flags.usage().find("Active cgroup subsystem for cgroups v1."), std::string::npos);

  FlagSet f2("test");
  register_cgroup_flags(f2);
  ASSERT_TRUE(
      f2.parse({"--collector.cgroups.force-version=v2", "--collector.cgroup.active-subsystem=memory"}).ok());
  EXPECT_EQ(f2.get_string("collector.cgroups.force-version"), "v2");
  EXPECT_EQ(f2.get_string("collector.cgroup.active-subsystem"), "memory");

  FlagSet f3("test");
  register_cgroup_flags(f3);
  EXPECT_FALSE(f3.parse({"--collector.cgroups.force-version=v3"}).ok());
}

TEST(ResolveMode, ForcedAndProbed) {
  constexpr uint64_t kCgroup2 = 0x63677270, kTmpfs = 0x01021994;
  auto never = [](const std::string&) -> Result<uint64_t> { return Error(ErrorKind::kIo, "must not probe"); };
  EXPECT_EQ(resolve_mode("v1", "/x", never), Mode::kLegacy);
  EXPECT_EQ(resolve_mode("v2", "/x", never), Mode::kUnified);

  std::map<std::string, uint64_t> fs_types;
  std::vector<std::string> probed;
  auto fake = [&](const std::string& p) -> Result<uint64_t> {
    probed.push_back(p);
    auto it = fs_types.find(p);
    if (it == fs_types.end()) return Error(ErrorKind::kNotFound, "statfs " + p);
    return it->second;
  };
  fs_types = {{"/cg", kCgroup2}};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kUnified);
  EXPECT_EQ(probed.front(), "/cg");  // the given root, not /sys/fs/cgroup
  fs_types = {{"/cg", kTmpfs}, {"/cg/unified", kCgroup2}};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kHybrid);
  fs_types = {{"/cg", kTmpfs}};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kLegacy);
  fs_types = {};
  EXPECT_EQ(resolve_mode("", "/cg", fake), Mode::kUnavailable);

  // A plain directory with cgroup.controllers at its root (a v2 fixture tree).
  fs_types = {{kData + "/v2", kTmpfs}, {kData + "/v1", kTmpfs}};
  EXPECT_EQ(resolve_mode("", kData + "/v2", fake), Mode::kUnified);
  EXPECT_EQ(resolve_mode("", kData + "/v1", fake), Mode::kLegacy);
  // The real probe on a fixture directory.
  EXPECT_EQ(resolve_mode("", kData + "/v2"), Mode::kUnified);
  EXPECT_EQ(resolve_mode("", kData + "/v1"), Mode::kLegacy);
  EXPECT_EQ(resolve_mode("", kData + "/does-not-exist"), Mode::kUnavailable);
  EXPECT_EQ(mode_name(Mode::kHybrid), "hybrid");
  EXPECT_TRUE(is_v2(Mode::kUnified));
  EXPECT_FALSE(is_v2(Mode::kHybrid));
}

// ---- discovery ----

TEST(ManagerDiscover, SlurmV1BothRootLayouts) {
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v1");
  Manager m(host, ManagerOptions{ManagerKind::kSlurm, Mode::kLegacy, "cpuacct"}, log::Logger());
  EXPECT_EQ(m.name(), "slurm");
  EXPECT_EQ(m.base(), kData + "/v1/cpuacct");
  EXPECT_NE(m.description().find("slurm_*"), std::string::npos) << m.description();
  auto r = m.discover();
  ASSERT_TRUE(r.ok()) << r.error().message();
  const auto& units = *r;
  // Roots in lexical order (slurm, slurm_node1); job_40\q cannot be unescaped.
  ASSERT_EQ(units.size(), 3U);
  EXPECT_EQ(units[0].id, "10");
  EXPECT_EQ(units[0].uuid, "10");
  EXPECT_EQ(units[0].path.rel, "slurm/uid_1000/job_10");
  EXPECT_EQ(units[0].path.abs, kData + "/v1/cpuacct/slurm/uid_1000/job_10");
  // 999 has no /proc entry; the children's processes are aggregated in walk order.
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{100, 101, 102}));
  EXPECT_EQ(
      rels(units[0].children),
      (std::vector<std::string>{"slurm/uid_1000/job_10", "slurm/uid_1000/job_10/step_0",
                                "slurm/uid_1000/job_10/step_0/task_0", "slurm/uid_1000/job_10/step_extern"}));
  EXPECT_EQ(units[1].id, "30");
  EXPECT_TRUE(units[1].procs.empty());
  // Debian's multi-slurmd root slurm_<node>, uid_0/job_N/step_batch/task_0.
  EXPECT_EQ(units[2].id, "20");
  EXPECT_EQ(units[2].path.rel, "slurm_node1/uid_0/job_20");
  EXPECT_EQ(units[2].procs, (std::vector<pid_t>{200}));
  EXPECT_EQ(rels(units[2].children),
            (std::vector<std::string>{"slurm_node1/uid_0/job_20", "slurm_node1/uid_0/job_20/step_batch",
                                      "slurm_node1/uid_0/job_20/step_batch/task_0",
                                      "slurm_node1/uid_0/job_20/step_extern"}));
}

TEST(ManagerDiscover, SlurmV1MemorySubsystem) {
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v1");
  auto units = discover(host, ManagerKind::kSlurm, Mode::kLegacy, "memory");
  ASSERT_EQ(units.size(), 3U);
  EXPECT_EQ(units[0].id, "10");
  EXPECT_EQ(units[0].path.abs, kData + "/v1/memory/slurm/uid_1000/job_10");
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{100, 101}));
  EXPECT_EQ(units[1].id, "30");
  EXPECT_EQ(units[2].id, "20");
}

TEST(ManagerDiscover, SlurmV2BothScopeNames) {
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v2");
  Manager m(host, ManagerOptions{ManagerKind::kSlurm, Mode::kUnified, "cpuacct"}, log::Logger());
  EXPECT_EQ(m.base(), kData + "/v2");
  auto r = m.discover();
  ASSERT_TRUE(r.ok()) << r.error().message();
  const auto& units = *r;
  ASSERT_EQ(units.size(), 3U);
  // node1_slurmstepd.scope sorts before slurmstepd.scope.
  EXPECT_EQ(units[0].id, "2");
  EXPECT_EQ(units[0].path.rel, "system.slice/node1_slurmstepd.scope/job_2");
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{200}));
  EXPECT_EQ(units[1].id, "1");
  EXPECT_EQ(units[1].procs, (std::vector<pid_t>{101, 102}));
  EXPECT_EQ(rels(units[1].children),
            (std::vector<std::string>{"system.slice/slurmstepd.scope/job_1",
                                      "system.slice/slurmstepd.scope/job_1/step_0",
                                      "system.slice/slurmstepd.scope/job_1/step_0/user",
                                      "system.slice/slurmstepd.scope/job_1/step_0/user/task_0",
                                      "system.slice/slurmstepd.scope/job_1/step_extern",
                                      "system.slice/slurmstepd.scope/job_1/step_extern/slurm"}));
  EXPECT_EQ(units[2].id, "3");
}

TEST(ManagerDiscover, LibvirtV2EscapedNamesAndOwnLayout) {
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v2");
  Manager m(host, ManagerOptions{ManagerKind::kLibvirt, Mode::kUnified, "cpuacct"}, log::Logger());
  EXPECT_EQ(m.name(), "libvirt");
  auto r = m.discover();
  ASSERT_TRUE(r.ok()) << r.error().message();
  const auto& units = *r;
  ASSERT_EQ(units.size(), 2U);
  // machine/ sorts before machine.slice.
  EXPECT_EQ(units[0].id, "instance-0000000b");
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{200}));
  EXPECT_EQ(units[1].id, "instance-0000000a");
  EXPECT_EQ(units[1].uuid, "instance-0000000a");
  EXPECT_EQ(units[1].path.rel, R"(machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000000a.scope)");
  EXPECT_EQ(units[1].path.abs, kData + "/v2/machine.slice/machine-qemu-3-instance-0000000a.scope");
  EXPECT_EQ(units[1].procs, (std::vector<pid_t>{100, 101, 102}));
  ASSERT_EQ(units[1].children.size(), 4U);
  EXPECT_TRUE(units[1].children[3].abs.empty());
  EXPECT_EQ(units[1].children[3].rel,
            R"(machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000000a.scope/libvirt/vcpu0)");
}

TEST(ManagerDiscover, ChildrenCanBeLeftOut) {
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v2");
  ManagerOptions opts{ManagerKind::kLibvirt, Mode::kUnified, "cpuacct"};
  opts.keep_children = false;
  auto units = Manager(host, opts, log::Logger()).discover();
  ASSERT_TRUE(units.ok());
  ASSERT_GE(units->size(), 2U);
  EXPECT_TRUE((*units)[1].children.empty());
  EXPECT_EQ((*units)[1].procs, (std::vector<pid_t>{100, 101, 102}));  // still from child cgroups
}

TEST(ManagerDiscover, LibvirtV1BothLayouts) {
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v1");
  auto units = discover(host, ManagerKind::kLibvirt, Mode::kLegacy);
  ASSERT_EQ(units.size(), 2U);
  EXPECT_EQ(units[0].id, "instance-00000002");
  EXPECT_EQ(units[0].path.rel, "machine/qemu-2-instance-00000002.libvirt-qemu");
  EXPECT_EQ(rels(units[0].children),
            (std::vector<std::string>{"machine/qemu-2-instance-00000002.libvirt-qemu",
                                      "machine/qemu-2-instance-00000002.libvirt-qemu/emulator",
                                      "machine/qemu-2-instance-00000002.libvirt-qemu/vcpu0",
                                      "machine/qemu-2-instance-00000002.libvirt-qemu/vcpu1"}));
  EXPECT_EQ(units[1].id, "instance-00000001");
  EXPECT_EQ(units[1].procs, (std::vector<pid_t>{100, 101, 102}));
  EXPECT_EQ(units[1].children.size(), 3U);
}

TEST(ManagerDiscover, NoWalkRootIsAnError) {
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v1");
  Manager m(host, ManagerOptions{ManagerKind::kSlurm, Mode::kLegacy, "pids"}, log::Logger());
  auto r = m.discover();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(r.error().message().find(kData + "/v1/pids/slurm"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find(kData + "/v1/pids/slurm_*"), std::string::npos) << r.error().message();

  HostFs v2(kData + "/proc", kData + "/sys", kData + "/nowhere");
  Manager m2(v2, ManagerOptions{ManagerKind::kSlurm, Mode::kUnified, "cpuacct"}, log::Logger());
  auto r2 = m2.discover();
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message().find("slurmstepd.scope"), std::string::npos);
}

TEST(ManagerDiscover, SymlinksAreNotFollowed) {
  test_support::TempTree t;
  t.write("cg/cpuacct/slurm/uid_0/job_1/cgroup.procs", "");
  t.write("elsewhere/job_2/cgroup.procs", "");
  std::filesystem::create_directory_symlink(t.path("elsewhere/job_2"),
                                            t.path("cg/cpuacct/slurm/uid_0/job_2"));
  std::filesystem::create_directory_symlink(t.path("elsewhere"), t.path("cg/cpuacct/slurm_link"));
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto units = discover(host, ManagerKind::kSlurm, Mode::kLegacy);
  ASSERT_EQ(units.size(), 1U);
  EXPECT_EQ(units[0].id, "1");
}

// A filesystem on which one directory vanishes between the parent's listing and
// its own (a job ending during the walk). Going through the virtual methods also
// covers the non-real-filesystem code path.
class VanishingFs : public Filesystem {
 public:
  Result<std::vector<DirEntry>> list_dir(const std::string& path) const override {
    if (path.find(gone) != std::string::npos) return Error::from_errno(ENOENT, "open directory " + path);
    return Filesystem::list_dir(path);
  }
  std::string gone;
};

TEST(ManagerDiscover, VanishedDirectoryIsSkipped) {
  VanishingFs fs;
  fs.gone = "job_30";
  HostFs host(kData + "/proc", kData + "/sys", kData + "/v1", &fs);
  test_support::LogCapture logs(log::Level::kDebug);
  auto units = discover(host, ManagerKind::kSlurm, Mode::kLegacy);
  ASSERT_EQ(units.size(), 2U);
  EXPECT_EQ(units[0].id, "10");
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{100, 101, 102}));
  EXPECT_EQ(units[1].id, "20");
  EXPECT_NE(logs.text().find("vanished"), std::string::npos);
  EXPECT_NE(logs.text().find("cannot be unescaped"), std::string::npos);
}

TEST(ManagerDiscover, DuplicateIdsShareProcessesAndChildren) {
  test_support::TempTree t;
  t.write("proc/5/comm", "x");
  t.write("cg/cpuacct/slurm/uid_0/job_7/cgroup.procs", "5\n");
  t.write("cg/cpuacct/slurm_n1/uid_0/job_7/step_0/cgroup.procs", "");
  HostFs host(t.path("proc"), t.path("sys"), t.path("cg"));
  auto units = discover(host, ManagerKind::kSlurm, Mode::kLegacy);
  ASSERT_EQ(units.size(), 2U);
  EXPECT_EQ(units[0].id, "7");
  EXPECT_EQ(units[1].id, "7");
  EXPECT_EQ(units[0].procs, units[1].procs);
  EXPECT_EQ(units[0].children.size(), 3U);
  EXPECT_EQ(rels(units[0].children), rels(units[1].children));
}

}  // namespace
}  // namespace ceems::cgroup
