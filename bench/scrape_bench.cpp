// Scrape cost of a running ceems_exporter: latency (median, p99), CPU time per
// scrape, idle and peak RSS. Starts the binary against a fixture root on a loopback
// port, scrapes it N times over plain HTTP and reads the child's /proc entries.
//
//   scrape_bench --exporter build/src/apps/ceems_exporter/ceems_exporter
//                --fixtures tests/fixtures [--scrapes 500] [-- extra exporter flags]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/filesystem.h"
#include "core/strings.h"

namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// One HTTP/1.0 GET; returns the response size or -1.
long get(int port, const std::string& path) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return -1;
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::write(s, req.data(), req.size()) < 0) {
    ::close(s);
    return -1;
  }
  long total = 0;
  char buf[65536];
  ssize_t n = 0;
  while ((n = ::read(s, buf, sizeof buf)) > 0) total += n;
  ::close(s);
  return total;
}

double cpu_seconds(pid_t pid) {
  auto stat = ceems::real_filesystem().read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  auto f = ceems::fields(stat->substr(stat->rfind(')') + 1));
  return static_cast<double>(*ceems::parse_u64(f[11]) + *ceems::parse_u64(f[12])) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double status_kb(pid_t pid, const std::string& key) {
  auto status = ceems::real_filesystem().read_file("/proc/" + std::to_string(pid) + "/status");
  if (!status) return 0;
  for (auto line : ceems::split(*status, '\n')) {
    if (ceems::starts_with(line, key + ":"))
      return static_cast<double>(*ceems::parse_u64(ceems::fields(line)[1]));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string exporter;
  std::string fixtures = "tests/fixtures";
  int scrapes = 500;
  std::vector<std::string> extra;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--exporter" && i + 1 < argc) {
      exporter = argv[++i];
    } else if (a == "--fixtures" && i + 1 < argc) {
      fixtures = argv[++i];
    } else if (a == "--scrapes" && i + 1 < argc) {
      scrapes = std::atoi(argv[++i]);
    } else if (a == "--") {
      extra.assign(argv + i + 1, argv + argc);
      break;
    } else {
      std::fprintf(stderr, "usage: %s --exporter PATH [--fixtures DIR] [--scrapes N] [-- flags]\n", argv[0]);
      return 2;
    }
  }
  if (exporter.empty() || scrapes <= 0) {
    std::fprintf(stderr, "--exporter is required\n");
    return 2;
  }
  int port = free_port();
  std::vector<std::string> args = {exporter,
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                   "--path.procfs=" + fixtures + "/proc",
                                   "--path.sysfs=" + fixtures + "/sys",
                                   "--path.cgroupfs=" + fixtures + "/sys/fs/cgroup",
                                   "--log.level=error"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> av;
    for (auto& s : args) av.push_back(s.data());
    av.push_back(nullptr);
    ::execv(av[0], av.data());
    ::_exit(127);
  }
  long first = -1;
  for (int i = 0; i < 100 && first < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    first = get(port, "/");
  }
  if (first < 0) {
    std::fprintf(stderr, "exporter did not start\n");
    ::kill(pid, SIGKILL);
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  double idle_rss = status_kb(pid, "VmRSS");

  for (int i = 0; i < 10; ++i) get(port, "/metrics");  // warm-up
  double cpu0 = cpu_seconds(pid);
  std::vector<double> lat;
  long bytes = 0;
  for (int i = 0; i < scrapes; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    bytes = get(port, "/metrics");
    lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  double cpu1 = cpu_seconds(pid);
  double peak = status_kb(pid, "VmHWM");
  double rss = status_kb(pid, "VmRSS");
  ::kill(pid, SIGTERM);
  int st = 0;
  ::waitpid(pid, &st, 0);

  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat[std::min(lat.size() - 1, static_cast<size_t>(p * static_cast<double>(lat.size())))];
  };
  std::printf("scrapes            %d (response %ld bytes)\n", scrapes, bytes);
  std::printf("latency median     %.3f ms\n", pct(0.5));
  std::printf("latency p99        %.3f ms\n", pct(0.99));
  std::printf("cpu per scrape     %.3f ms (process user+system, clock-tick resolution)\n",
              (cpu1 - cpu0) * 1000.0 / scrapes);
  std::printf("idle rss           %.1f MB\n", idle_rss / 1024.0);
  std::printf("rss after scrapes  %.1f MB\n", rss / 1024.0);
  std::printf("peak rss           %.1f MB\n", peak / 1024.0);
  std::printf("exit status        %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
