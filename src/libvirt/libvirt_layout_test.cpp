#include "libvirt/libvirt_layout.h"

#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "units/discovery.h"
#include "units/testing/discover.h"

namespace ceems::libvirt {
namespace {

// The cgroup layer's fixture trees (src/cgroup/testdata): both libvirt layouts.
const std::string kTrees = CEEMS_CGROUP_TREES;

std::optional<std::string> regex_capture(const std::regex& re, const std::string& s) {
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  return m[1].str();
}

const char* const kLibvirtPaths[] = {
    "/sys/fs/cgroup/cpuacct/machine.slice/machine-qemu-2-instance-00000001.scope",
    "/sys/fs/cgroup/machine.slice/machine-qemu-2-instance-0000000a.scope/libvirt/vcpu0",
    "/sys/fs/cgroup/machine.slice/machine-qemu-2-instance-.scope",
    "/sys/fs/cgroup/machine.slice/machine-qemu-x-instance-01.scope",
    "/sys/fs/cgroup/machine.slice/machine-lxc-2-instance-01.scope",
    "/sys/fs/cgroup/machine.slice",
    "/-qemu-1-instance-1",
    "/a-qemu-1-instance-1",
    "/a-qemu-1-instance-1/b-qemu-2-instance-2",
    "/a-qemu-1-instance-1-qemu-2-instance-2f",
    "/x/a-qemu-1-instance-ABC",
    "/x/a-qemu-12-instance-abcg/y",
    "/a/b-qemu-1-instance-1\n",
};

TEST(LibvirtMatchers, LibvirtEquivalentToRegex) {
  const std::regex re("^.*/(?:.+?)-qemu-(?:[0-9]+)-(instance-[0-9a-f]+)(?:.*$)");
  for (const char* p : kLibvirtPaths) {
    auto want = regex_capture(re, p);
    auto got = match_libvirt_instance(p);
    EXPECT_EQ(want.has_value(), got.has_value()) << p;
    if (want && got) {
      EXPECT_EQ(*want, std::string(*got)) << p;
    }
  }
  EXPECT_EQ(
      *match_libvirt_instance("/sys/fs/cgroup/machine.slice/machine-qemu-2-instance-0000000a.scope/libvirt"),
      "instance-0000000a");
}

TEST(LibvirtMatchers, LibvirtNonSystemdLayout) {
  // libvirt without systemd: <partition>/qemu-<id>-<name>.libvirt-qemu/{emulator,vcpuN}.
  EXPECT_EQ(*match_libvirt_instance("/sys/fs/cgroup/cpuacct/machine/qemu-1-instance-00000001.libvirt-qemu"),
            "instance-00000001");
  EXPECT_EQ(*match_libvirt_instance("/cg/machine/qemu-12-instance-0000abcd.libvirt-qemu/vcpu3"),
            "instance-0000abcd");
  EXPECT_FALSE(match_libvirt_instance("/cg/machine/lxc-1-instance-01.libvirt-lxc"));
  EXPECT_FALSE(match_libvirt_instance("/cg/machine/qemu-1-myvm.libvirt-qemu"));
  EXPECT_FALSE(match_libvirt_instance("/cg/machine"));
}

TEST(LibvirtMatchers, LibvirtChildRule) {
  EXPECT_TRUE(is_libvirt_child("/machine.slice/m.scope/libvirt"));
  EXPECT_TRUE(is_libvirt_child("/machine/qemu-1-instance-1.libvirt-qemu/emulator"));
  EXPECT_TRUE(is_libvirt_child("/machine/qemu-1-instance-1.libvirt-qemu/vcpu0"));
  EXPECT_FALSE(is_libvirt_child("/machine/qemu-1-instance-1.libvirt-qemu"));
}

using units::testing::rels;

std::vector<ComputeUnit> discover_all(const HostFs& host, cgroup::Mode mode, UnitNeeds needs) {
  units::Discovery d(host, libvirt_layout(mode), cgroup::Hierarchy{mode, "cpuacct"}, log::Logger());
  EXPECT_EQ(d.name(), "libvirt");
  return units::testing::discover_and_walk(d, needs);
}

TEST(LibvirtLayout, V2EscapedNamesAndOwnLayout) {
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v2");
  const auto units = discover_all(host, cgroup::Mode::kUnified, {.procs = true, .children = true});
  ASSERT_EQ(units.size(), 2U);
  // machine/ sorts before machine.slice.
  EXPECT_EQ(units[0].id, "instance-0000000b");
  EXPECT_EQ(units[0].procs, (std::vector<pid_t>{200}));
  EXPECT_EQ(units[1].id, "instance-0000000a");
  EXPECT_EQ(units[1].uuid, "instance-0000000a");
  EXPECT_EQ(units[1].path.rel, R"(machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000000a.scope)");
  EXPECT_EQ(units[1].path.abs, kTrees + "/v2/machine.slice/machine-qemu-3-instance-0000000a.scope");
  EXPECT_EQ(units[1].procs, (std::vector<pid_t>{100, 101, 102}));
  ASSERT_EQ(units[1].children.size(), 4U);
  EXPECT_TRUE(units[1].children[3].abs.empty());
  EXPECT_EQ(units[1].children[3].rel,
            R"(machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000000a.scope/libvirt/vcpu0)");
}

TEST(LibvirtLayout, ChildrenCanBeLeftOut) {
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v2");
  const auto units = discover_all(host, cgroup::Mode::kUnified, {.procs = true});
  ASSERT_GE(units.size(), 2U);
  EXPECT_TRUE(units[1].children.empty());
  EXPECT_EQ(units[1].procs, (std::vector<pid_t>{100, 101, 102}));  // still from child cgroups
}

TEST(LibvirtLayout, V1BothLayouts) {
  HostFs host(kTrees + "/proc", kTrees + "/sys", kTrees + "/v1");
  const auto units = discover_all(host, cgroup::Mode::kLegacy, {.procs = true, .children = true});
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

}  // namespace
}  // namespace ceems::libvirt
