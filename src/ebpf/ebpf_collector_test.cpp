#include "ebpf/ebpf_collector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "core/testing/test_support.h"

namespace ceems::ebpf {
namespace {

using test_support::render;
using test_support::TempTree;

uint64_t inode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_ino;
}

class FakeMaps final : public MapSource {
 public:
  Result<MapSnapshot> read(const std::vector<uint64_t>& forget_io,
                           const std::vector<uint64_t>& forget_net) override {
    ++reads;
    last_forget_io = forget_io;
    last_forget_net = forget_net;
    if (fail) return Error(ErrorKind::kPermissionDenied, "map read refused");
    return snapshot;
  }
  void close() override { closed = true; }

  MapSnapshot snapshot;
  std::vector<uint64_t> last_forget_io, last_forget_net;
  int reads = 0;
  bool fail = false;
  bool closed = false;
};

class CountingPrivileges final : public Privileges {
 public:
  Status run_with(std::string_view, const std::vector<std::string>& caps,
                  const std::function<Status()>& fn) override {
    last_caps = caps;
    ++calls;
    return fn();
  }
  std::vector<std::string> last_caps;
  int calls = 0;
};

ComputeUnit unit(const std::string& uuid, const std::string& rel, const std::vector<std::string>& children) {
  ComputeUnit u;
  u.id = uuid;
  u.uuid = uuid;
  u.path.rel = rel;
  u.children.push_back({"", rel});
  for (const auto& c : children) u.children.push_back({"", rel + "/" + c});
  return u;
}

struct Fixture {
  TempTree tree{"ceems_ebpf"};
  HostFs host{"/proc", "/sys", tree.root()};
  CountingPrivileges privileges;
  FakeMaps* maps = nullptr;
  std::unique_ptr<EbpfCollector> collector;

  explicit Fixture(bool caps) {
    tree.mkdir("cpuacct/slurm/uid_0/job_7/step_0");
    tree.mkdir("unified/slurm/uid_0/job_7");
    CollectorConfig cfg{.manager = "slurm",
                        .hostname = "n1",
                        .io = true,
                        .net = true,
                        .io_base = tree.path("cpuacct"),
                        .net_base = tree.path("unified"),
                        .map_reads_need_caps = caps};
    auto owned = std::make_unique<FakeMaps>();
    maps = owned.get();
    collector = std::make_unique<EbpfCollector>(host, privileges, cfg, std::move(owned), log::Logger{});
  }
};

TEST(EbpfCollector, MapsUnitCgroupsToIdsInBothSpaces) {
  Fixture fx(false);
  const uint64_t root = inode_of(fx.tree.path("cpuacct/slurm/uid_0/job_7"));
  const uint64_t step = inode_of(fx.tree.path("cpuacct/slurm/uid_0/job_7/step_0"));
  const uint64_t v2 = inode_of(fx.tree.path("unified/slurm/uid_0/job_7"));
  fx.maps->snapshot.read = {{root, "/home", 10, 1, 0}, {step, "/home", 5, 1, 0}, {v2, "/home", 99, 1, 0}};
  fx.maps->snapshot.egress = {{v2, 6, 2, 3, 300}, {root, 6, 2, 1, 1}};
  MetricBatch batch;
  const std::vector<ComputeUnit> units = {unit("7", "slurm/uid_0/job_7", {"step_0"})};
  ASSERT_TRUE(fx.collector->update(units, batch).ok());
  const std::string text = render(batch);
  EXPECT_NE(text.find("ceems_ebpf_read_bytes_total{hostname=\"n1\",manager=\"slurm\",mountpoint=\"/"
                      "home\",uuid=\"7\"} 15"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "ceems_ebpf_egress_bytes_total{family=\"ipv4\",hostname=\"n1\",manager=\"slurm\",proto=\"tcp\","
          "uuid=\"7\"} 300"),
      std::string::npos)
      << text;
  EXPECT_EQ(fx.privileges.calls, 0);
  EXPECT_TRUE(fx.collector->capabilities().empty());
}

TEST(EbpfCollector, ForgetsIdsOfRemovedCgroupsOnly) {
  Fixture fx(false);
  const uint64_t step = inode_of(fx.tree.path("cpuacct/slurm/uid_0/job_7/step_0"));
  MetricBatch batch;
  std::vector<ComputeUnit> units = {unit("7", "slurm/uid_0/job_7", {"step_0"})};
  ASSERT_TRUE(fx.collector->update(units, batch).ok());
  EXPECT_TRUE(fx.maps->last_forget_io.empty());

  // The step finished: its directory is gone.
  ASSERT_EQ(::rmdir(fx.tree.path("cpuacct/slurm/uid_0/job_7/step_0").c_str()), 0);
  units = {unit("7", "slurm/uid_0/job_7", {})};
  ASSERT_TRUE(fx.collector->update(units, batch).ok());
  EXPECT_EQ(fx.maps->last_forget_io, std::vector<uint64_t>{step});
  EXPECT_TRUE(fx.maps->last_forget_net.empty());

  // A unit that vanished from discovery but whose cgroup still exists is kept.
  ASSERT_TRUE(fx.collector->update({}, batch).ok());
  EXPECT_TRUE(fx.maps->last_forget_io.empty());
}

TEST(EbpfCollector, PrivilegedReadsAndErrors) {
  Fixture fx(true);
  EXPECT_EQ(fx.collector->capabilities(), (std::vector<std::string>{"cap_bpf", "cap_perfmon"}));
  MetricBatch batch;
  ASSERT_TRUE(fx.collector->update({}, batch).ok());
  EXPECT_EQ(fx.privileges.calls, 1);
  EXPECT_EQ(fx.privileges.last_caps, (std::vector<std::string>{"cap_bpf", "cap_perfmon"}));
  fx.maps->fail = true;
  const Status st = fx.collector->update({}, batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kPermissionDenied);
  EXPECT_NE(st.error().message().find("couldn't read eBPF maps: map read refused"), std::string::npos);
  fx.collector->stop();
  EXPECT_TRUE(fx.maps->closed);
}

}  // namespace
}  // namespace ceems::ebpf
