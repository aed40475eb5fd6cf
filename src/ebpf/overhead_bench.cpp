// Overhead of the eBPF programs on page-cache IO: dd-like write+read throughput
// of a file on tmpfs, measured in this process in alternating rounds without and
// with the programs loaded and attached (medians compared). Needs root (loads BPF, creates a
// cgroup so that the events take the full accounting path).
//
// usage: ebpf_overhead_bench [total_MiB=512] [rounds=5] [dir=/dev/shm]
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "core/privileges.h"
#include "ebpf/ebpf.h"

namespace {

constexpr uint64_t kCgroup2Magic = 0x63677270;

// CPU time of this thread (user + kernel, which includes the BPF programs run
// at syscall exit): unlike wall time, unaffected by other load on the machine.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds for writing then reading `total` bytes in `block`-sized calls.
double one_round(const std::string& path, size_t total, size_t block) {
  std::vector<char> buf(block, 'b');
  const double start = thread_cpu_seconds();
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  for (size_t done = 0; done < total; done += block) {
    if (::write(fd, buf.data(), block) != static_cast<ssize_t>(block)) std::abort();
  }
  if (::lseek(fd, 0, SEEK_SET) != 0) std::abort();
  for (size_t done = 0; done < total; done += block) {
    if (::read(fd, buf.data(), block) != static_cast<ssize_t>(block)) std::abort();
  }
  ::close(fd);
  ::unlink(path.c_str());
  return thread_cpu_seconds() - start;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<double> rounds_of(const std::string& path, size_t total, size_t block, int rounds) {
  std::vector<double> t;
  t.reserve(static_cast<size_t>(rounds));
  for (int i = 0; i < rounds; ++i) t.push_back(one_round(path, total, block));
  return t;
}

// Loading and unloading leave deferred kernel work (RCU frees, BTF); let it
// finish outside the timed rounds.
void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

void join(const std::string& dir) { std::ofstream(dir + "/cgroup.procs") << ::getpid() << std::flush; }

}  // namespace

int main(int argc, char** argv) {
  const size_t total_mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 512;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::string dir = argc > 3 ? argv[3] : "/dev/shm";
  if (::geteuid() != 0) {
    std::fprintf(stderr, "needs root\n");
    return 2;
  }
  const std::string path = dir + "/ceems_ebpf_bench_" + std::to_string(::getpid());
  const std::string cg = "/sys/fs/cgroup";
  const std::string name = "ceems_ebpf_bench_" + std::to_string(::getpid());
  struct statfs fs {};
  const bool unified = ::statfs(cg.c_str(), &fs) == 0 && static_cast<uint64_t>(fs.f_type) == kCgroup2Magic;
  ceems::ebpf::Options opts{.manager = "slurm",
                            .hostname = "bench",
                            .mode = unified ? ceems::cgroup::Mode::kUnified : ceems::cgroup::Mode::kHybrid,
                            .active_subsystem = "cpuacct"};
  std::vector<std::string> dirs =
      unified ? std::vector<std::string>{cg + "/" + name}
              : std::vector<std::string>{cg + "/cpuacct/" + name, cg + "/unified/" + name};
  for (const auto& d : dirs) {
    ::mkdir(d.c_str(), 0755);
    join(d);
  }

  ceems::log::configure(ceems::log::Level::kWarn, ceems::log::Format::kLogfmt);
  ceems::FlagSet flags("bench");
  ceems::ebpf::register_ebpf_flags(flags);
  if (!flags.parse({"--collector.ebpf.io-metrics", "--collector.ebpf.network-metrics"}).ok()) return 2;
  ceems::HostFs host("/proc", "/sys", cg);
  ceems::NoPrivileges privileges;

  const struct {
    size_t block;
    size_t total;
  } cases[] = {{1 << 20, total_mib << 20}, {4 << 10, std::max<size_t>(total_mib / 8, 1) << 20}};
  int rc = 0;
  for (const auto& c : cases) {
    (void)rounds_of(path, c.total, c.block, 2);  // warm-up: tmpfs pages, caches
    // Alternating rounds without and with the programs, so that drift (other
    // load on the machine) hits both sides alike.
    std::vector<double> without;
    std::vector<double> with;
    for (int r = 0; r < rounds && rc == 0; ++r) {
      without.push_back(one_round(path, c.total, c.block));
      auto collector = ceems::ebpf::make_collector(flags, host, privileges, opts, ceems::log::Logger{});
      if (!collector.ok()) {
        std::fprintf(stderr, "eBPF unavailable: %s\n", collector.error().message().c_str());
        rc = 1;
        break;
      }
      settle();
      with.push_back(one_round(path, c.total, c.block));
      (*collector)->stop();
      settle();
    }
    if (rc != 0) break;
    const double mib = static_cast<double>(c.total) / (1 << 20);
    const double t0 = median(without);
    const double t1 = median(with);
    std::printf(
        "block=%zu KiB total=%.0f MiB (write+read) rounds=%d: without eBPF %.0f MiB/cpu-s, with eBPF %.0f "
        "MiB/cpu-s, slowdown %.2f%%\n",
        c.block >> 10, mib, rounds, 2 * mib / t0, 2 * mib / t1, (t1 / t0 - 1) * 100);
  }
  // Back to the root cgroups so that ours can be removed.
  for (const auto& d : dirs) {
    join(d.substr(0, d.rfind('/')));
    ::rmdir(d.c_str());
  }
  return rc;
}
