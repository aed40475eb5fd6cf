// Loads the real programs into the running kernel (root only): a child in a fresh
// cgroup does known file and loopback network IO; the collector must report it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/testing/test_support.h"
#include "ebpf/ebpf.h"
#include "ebpf/ebpf_collector.h"
#include "ebpf/libbpf_programs.h"
#include "ebpf/proc_cgroups.h"

namespace ceems::ebpf {
namespace {

constexpr size_t kFileBytes = 4 << 20;
constexpr size_t kTcpBytes = 1 << 20;
constexpr size_t kUdpDatagrams = 100;
constexpr size_t kUdpBytes = 1000;
constexpr uint64_t kCgroup2Magic = 0x63677270;

bool is_cgroup2(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && static_cast<uint64_t>(fs.f_type) == kCgroup2Magic;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, char* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool file_io(const std::string& path) {
  std::vector<char> buf(kFileBytes, 'x');
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = write_all(fd, buf.data(), buf.size()) && ::fsync(fd) == 0 && ::lseek(fd, 0, SEEK_SET) == 0 &&
            read_all(fd, buf.data(), buf.size());
  ::close(fd);
  ok = ok && ::unlink(path.c_str()) == 0;
  return ok;
}

bool tcp_io() {
  const int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(ls, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(ls, 1) != 0 ||
      ::getsockname(ls, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return false;
  }
  const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  const int s = ::accept(ls, nullptr, nullptr);
  std::vector<char> chunk(64 << 10, 't');
  bool ok = s >= 0;
  for (size_t done = 0; ok && done < kTcpBytes; done += chunk.size()) {
    ok = write_all(c, chunk.data(), chunk.size()) && read_all(s, chunk.data(), chunk.size());
  }
  ::close(c);
  ::close(s);
  ::close(ls);
  return ok;
}

bool udp_io() {
  const int rx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int tx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(rx, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(rx, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return false;
  }
  char buf[kUdpBytes] = {};
  bool ok = true;
  for (size_t i = 0; ok && i < kUdpDatagrams; ++i) {
    ok = ::sendto(tx, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr) ==
             static_cast<ssize_t>(sizeof buf) &&
         ::recv(rx, buf, sizeof buf, 0) == static_cast<ssize_t>(sizeof buf);
  }
  ::close(rx);
  ::close(tx);
  return ok;
}

bool join(const std::string& cgroup_dir) {
  std::ofstream procs(cgroup_dir + "/cgroup.procs");
  procs << ::getpid() << std::flush;
  return procs.good();
}

// Sum of the samples of one family whose labels match all of `want`.
double sum(const MetricBatch& batch, const std::string& name,
           const std::map<std::string, std::string>& want) {
  double total = 0;
  for (const auto& fam : batch.families()) {
    if (fam->desc().name != name) continue;
    for (size_t i = 0; i < fam->size(); ++i) {
      bool match = true;
      for (size_t l = 0; l < fam->label_count(); ++l) {
        auto it = want.find(fam->desc().labels[l]);
        if (it != want.end() && fam->label_value(i, l) != it->second) match = false;
      }
      if (match) total += fam->value(i);
    }
  }
  return total;
}

class EbpfIntegration : public ::testing::Test {
 protected:
  void TearDown() override {
    for (auto it = cgroups_.rbegin(); it != cgroups_.rend(); ++it) ::rmdir(it->c_str());
    if (!mnt_.empty()) {
      ::umount2(mnt_.c_str(), MNT_DETACH);
      ::rmdir(mnt_.c_str());
    }
    if (mounted_tracefs_) ::umount2("/sys/kernel/tracing", MNT_DETACH);
  }

  // Creates the test cgroups (v2, or v1 cpuacct plus the unified one on a hybrid
  // host) and the tmpfs the file IO goes to. False (with a skip) when impossible.
  void set_up_host() {
    name_ = "ceems_ebpf_test_" + std::to_string(::getpid());
    if (is_cgroup2(cg_)) {
      opts_.mode = cgroup::Mode::kUnified;
      join_dirs_.push_back(cg_ + "/" + name_);
    } else {
      if (::access((cg_ + "/cpuacct").c_str(), F_OK) != 0) GTEST_SKIP() << "no v1 cpuacct hierarchy";
      opts_.mode = cgroup::Mode::kHybrid;
      join_dirs_.push_back(cg_ + "/cpuacct/" + name_);
      if (is_cgroup2(cg_ + "/unified")) join_dirs_.push_back(cg_ + "/unified/" + name_);
    }
    for (const auto& d : join_dirs_) {
      ASSERT_EQ(::mkdir(d.c_str(), 0755), 0) << d << ": " << std::strerror(errno);
      cgroups_.push_back(d);
    }
    // Files on the root filesystem carry an empty mount label and are not counted
    // (spec 15), so the IO goes to a tmpfs of our own.
    mnt_ = "/tmp/" + name_ + "_mnt";
    ASSERT_EQ(::mkdir(mnt_.c_str(), 0700), 0);
    ASSERT_EQ(::mount("tmpfs", mnt_.c_str(), "tmpfs", 0, "size=16m"), 0) << std::strerror(errno);
  }

  // A child joins the cgroups, does the IO and exits; then one scrape.
  void run_child_and_check(UnitSubCollector& collector) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      bool ok = true;
      for (const auto& d : join_dirs_) ok = ok && join(d);
      ok = ok && file_io(mnt_ + "/data") && tcp_io() && udp_io();
      ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child IO failed";

    ComputeUnit unit;
    unit.id = unit.uuid = "4242";
    unit.path.rel = name_;
    unit.children.push_back(unit.path);
    MetricBatch batch;
    const std::vector<ComputeUnit> units = {unit};
    const Status st = collector.update(units, batch);
    ASSERT_TRUE(st.ok()) << st.error().message();
    const std::string text = test_support::render(batch);

    const std::map<std::string, std::string> mine = {{"uuid", "4242"}, {"mountpoint", "/" + name_ + "_mnt"}};
    EXPECT_NEAR(sum(batch, "ceems_ebpf_write_bytes_total", mine), kFileBytes, kFileBytes * 0.1) << text;
    EXPECT_NEAR(sum(batch, "ceems_ebpf_read_bytes_total", mine), kFileBytes, kFileBytes * 0.1) << text;
    EXPECT_GE(sum(batch, "ceems_ebpf_write_requests_total", mine), 1) << text;
    EXPECT_GE(sum(batch, "ceems_ebpf_open_requests_total", {{"uuid", "4242"}}), 1) << text;
    EXPECT_GE(sum(batch, "ceems_ebpf_unlink_requests_total", {{"uuid", "4242"}}), 1) << text;

    const bool net_ids = opts_.mode == cgroup::Mode::kUnified || join_dirs_.size() > 1;
    if (net_ids) {
      const std::map<std::string, std::string> tcp = {{"uuid", "4242"}, {"proto", "tcp"}, {"family", "ipv4"}};
      const std::map<std::string, std::string> udp = {{"uuid", "4242"}, {"proto", "udp"}, {"family", "ipv4"}};
      EXPECT_GE(sum(batch, "ceems_ebpf_egress_bytes_total", tcp), kTcpBytes) << text;
      EXPECT_GE(sum(batch, "ceems_ebpf_ingress_bytes_total", tcp), kTcpBytes) << text;
      EXPECT_GE(sum(batch, "ceems_ebpf_egress_packets_total", tcp), 1) << text;
      EXPECT_GE(sum(batch, "ceems_ebpf_egress_bytes_total", udp), kUdpDatagrams * kUdpBytes) << text;
      EXPECT_GE(sum(batch, "ceems_ebpf_ingress_bytes_total", udp), kUdpDatagrams * kUdpBytes) << text;
      EXPECT_EQ(sum(batch, "ceems_ebpf_egress_packets_total", udp), kUdpDatagrams) << text;
    }
  }

  const std::string cg_ = "/sys/fs/cgroup";
  std::string name_;
  Options opts_{.manager = "slurm",
                .hostname = "testhost",
                .mode = cgroup::Mode::kLegacy,
                .active_subsystem = "cpuacct"};
  std::vector<std::string> join_dirs_;
  std::vector<std::string> cgroups_;
  std::string mnt_;
  bool mounted_tracefs_ = false;
};

// The production path: probe, plan, load, attach.
TEST_F(EbpfIntegration, CountsFileAndNetworkIoOfAChildCgroup) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs and create cgroups";
  set_up_host();
  if (IsSkipped() || HasFatalFailure()) return;
  // CEEMS_EBPF_TEST_DEBUG=1 shows libbpf's verifier and attach messages.
  if (std::getenv("CEEMS_EBPF_TEST_DEBUG") != nullptr)
    log::configure(log::Level::kDebug, log::Format::kLogfmt);
  FlagSet flags("test");
  register_ebpf_flags(flags);
  ASSERT_TRUE(flags.parse({"--collector.ebpf.io-metrics", "--collector.ebpf.network-metrics"}).ok());
  ASSERT_TRUE(enabled(flags));
  HostFs host("/proc", "/sys", cg_);
  NoPrivileges privileges;
  auto collector = make_collector(flags, host, privileges, opts_, log::Logger{});
  if (!collector.ok()) GTEST_SKIP() << "kernel refused the eBPF programs: " << collector.error().message();
  run_child_and_check(**collector);
  (*collector)->stop();
}

// Every syscall-level VFS variant, forced: the probe would only ever pick the
// first working one.
class EbpfVfsVariant : public EbpfIntegration, public ::testing::WithParamInterface<Method> {};

TEST_P(EbpfVfsVariant, CountsFileIo) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to load BPF programs and create cgroups";
  set_up_host();
  if (IsSkipped() || HasFatalFailure()) return;
  if (GetParam() == Method::kTracepoint && ::access("/sys/kernel/tracing/events", F_OK) != 0) {
    if (::mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0) {
      GTEST_SKIP() << "tracefs not mountable: " << std::strerror(errno);
    }
    mounted_tracefs_ = true;
  }
  const bool v2 = cgroup::is_v2(opts_.mode);
  LoadConfig cfg;
  cfg.io = cfg.net = true;
  cfg.use_v1 = !v2;
  cfg.v1_subsys_idx = 0;
  if (cfg.use_v1) {
    auto text = real_filesystem().read_file("/proc/cgroups");
    ASSERT_TRUE(text.ok());
    cfg.v1_subsys_idx = static_cast<uint32_t>(subsystem_index(parse_proc_cgroups(*text), "cpuacct"));
  }
  cfg.cgroup2_root = v2 ? cg_ : cg_ + "/unified";
  const Plan plan{GetParam(), Method::kCgroupSkb, Method::kRawTp};
  auto programs = BpfPrograms::load(cfg, plan, log::Logger{});
  if (!programs.ok()) GTEST_SKIP() << method_name(GetParam()) << " refused: " << programs.error().message();

  HostFs host("/proc", "/sys", cg_);
  NoPrivileges privileges;
  CollectorConfig cc{.manager = "slurm",
                     .hostname = "testhost",
                     .io = true,
                     .net = true,
                     .io_base = v2 ? cg_ : cg_ + "/cpuacct",
                     .net_base = cfg.cgroup2_root};
  EbpfCollector collector(host, privileges, cc, std::move(*programs), log::Logger{});
  run_child_and_check(collector);
  collector.stop();
}

INSTANTIATE_TEST_SUITE_P(SyscallHooks, EbpfVfsVariant,
                         ::testing::Values(Method::kTpBtf, Method::kRawTp, Method::kTracepoint),
                         [](const auto& p) { return std::string(method_name(p.param)); });

}  // namespace
}  // namespace ceems::ebpf
