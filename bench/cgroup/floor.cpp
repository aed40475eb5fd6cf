// The floor of the Slurm cgroup scrape: a single-threaded program doing the least
// work that yields the output of the exporter's `slurm` collector (spec 10 §3-4,
// 11) on a cgroup tree, so that the exporter's CPU per scrape can be compared to
// it. The scrape is demand-driven: per scrape it lists only the directories that
// hold the unit (job) directories, reads per unit only the files the
// ceems_compute_unit* output needs, and formats the exposition text into a
// string. It does not descend into steps and tasks, reads no cgroup.procs and
// probes nothing in /proc.
//
//   v2: list <cg>/system.slice, keep slurmstepd.scope and *_slurmstepd.scope, list
//       each; job_<digits>... entries are units. Per unit: cgroup.events (a line
//       "populated 0" drops the unit), cgroup.controllers, cpu.stat (cpu),
//       memory.{stat,events,current,max} (memory), rdma.current (rdma),
//       memory.swap.{current,max} (--swap, memory), {cpu,memory}.pressure (--psi),
//       cpuset.cpus.effective once per job.
//   v1: list <cg>/<ctrl>, keep slurm and slurm_*, list each; job_<digits>...
//       entries are units, uid_* entries are listed once more and their job_*
//       entries are units. Per unit: cpuacct.{stat,usage,usage_percpu},
//       memory.stat, memory.oom_control and the 16 memory counters, rdma/pids
//       when those hierarchies exist, cpuset.cpus once per job.
//
// Variants (each adds work on top of the above, same output):
//   --walk     the former discovery: every directory under the walk roots is
//              listed, cgroup.procs of each job cgroup and its descendants read,
//              <procfs>/<pid> stat'ed for each PID (to show what that walk cost);
//   --perf     what the perf sub-collector needs: each unit's PIDs every scrape,
//              i.e. the job's subtree listed and every cgroup.procs read (the
//              walk without the /proc stats);
//   --gpu-map  for jobs not seen at the previous scrape only: the job's subtree
//              walked reading every cgroup.procs, then <procfs>/<pid>/environ of
//              its PIDs read until one holds SLURM_JOB_GPUS=. Counted, not
//              exported. Steady state costs nothing; the first scrape pays for
//              all jobs (reported as first_*).
//
// What makes it a floor rather than a straw man:
//  * files are opened relative to directory fds it already holds (an O_PATH fd
//    of the job directory, one O_PATH fd per controller), so paths are resolved
//    once; --abs-paths opens everything by absolute path instead, to show what
//    path resolution costs;
//  * every file is read with one read() into a fixed buffer (a short read of a
//    regular or seq_file-backed file is its end), no second read for EOF;
//  * cpuset.cpus (v1) / cpuset.cpus.effective (v2) are read once per job: a
//    job's CPU set does not change during its life;
//  * files whose contents cannot change the output are not read: v2 io.stat and
//    io.pressure (Slurm never emits block-IO metrics, io PSI is never exported),
//    v2 memory.swap.* without --swap and *.pressure without --psi (missing or
//    garbage there reads as 0, never as a collection error). v1 memsw/kmem
//    files are read: a garbage value there flags the unit as errored.
//    --read-all reads the complete list anyway;
//  * controllers that do not exist at all (<cg>/rdma, <cg>/pids) are checked
//    once per scrape, not once per job;
//  * directory entries are not sorted (only the exposition is, as it must be);
//    a unit's files are read while its parent's listing is in progress.
//
//   cgroup_floor --root /tmp/ceems-cgroup-bench/v2-n1000 --version v2 --scrapes 20
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

struct Options {
  std::string root;
  std::string cgroupfs;
  std::string procfs;
  bool v2 = true;
  std::string ctrl = "cpuacct";
  int scrapes = 20;
  int warmup = 2;
  double min_ms = 0;  // keep scraping until this much wall time has passed
  bool swap = false;
  bool psi = false;
  bool read_all = false;
  bool abs_paths = false;
  bool walk = false;     // also the former full discovery walk (procs + /proc stats)
  bool perf = false;     // also each unit's PIDs every scrape (subtree walk, procs)
  bool gpu_map = false;  // also the environ scan of jobs new since the last scrape
  std::string dump;
  std::string hostname;
};

Options g_opt;

// Work counters, per scrape (reset by the caller).
struct Counters {
  uint64_t dirs_listed = 0, files_read = 0, files_missing = 0, pid_stats = 0, bytes_read = 0;
  uint64_t procs_read = 0;     // cgroup.procs files (part of files_read)
  uint64_t environ_reads = 0;  // <procfs>/<pid>/environ (part of files_read)
  uint64_t new_jobs = 0;       // --gpu-map: jobs not seen at the previous scrape
  uint64_t stale = 0;          // v2 job dirs skipped for "populated 0"
};
Counters g_count;
volatile uint64_t g_sink = 0;

// ---------------------------------------------------------------------------
// Paths and files. A Dir holds an fd (relative mode) and its absolute path
// (always kept: --abs-paths opens by it, v1 needs the relative part anyway).

struct Dir {
  int fd = -1;
  std::string path;
};

int open_in(const Dir& d, const char* name, int flags) {
  if (!g_opt.abs_paths) return ::openat(d.fd, name, flags | O_CLOEXEC);
  std::string p = d.path;
  p += '/';
  p += name;
  return ::open(p.c_str(), flags | O_CLOEXEC);
}

bool exists_in(const Dir& d, const char* name) {
  struct stat st {};
  if (!g_opt.abs_paths) return ::fstatat(d.fd, name, &st, 0) == 0;
  std::string p = d.path;
  p += '/';
  p += name;
  return ::stat(p.c_str(), &st) == 0;
}

// A directory below d, for later relative opens (O_PATH: no read access needed).
std::optional<Dir> open_dir(const Dir& d, const std::string& rel) {
  Dir out;
  out.path = d.path + "/" + rel;
  if (g_opt.abs_paths) {
    struct stat st {};
    if (::stat(out.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    return out;
  }
  out.fd = ::openat(d.fd, rel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (out.fd < 0) return std::nullopt;
  return out;
}

void close_dir(Dir& d) {
  if (d.fd >= 0) ::close(d.fd);
  d.fd = -1;
}

enum class Read { kOk, kMissing, kError };

std::array<char, 1 << 16> g_buf;

// Reads a whole (small) file; the view points into g_buf until the next read.
Read read_file(const Dir& d, const char* name, std::string_view& out) {
  int fd = open_in(d, name, O_RDONLY);
  if (fd < 0) {
    ++g_count.files_missing;
    return errno == ENOENT ? Read::kMissing : Read::kError;
  }
  size_t n = 0;
  for (;;) {
    ssize_t r = ::read(fd, g_buf.data() + n, g_buf.size() - n);
    if (r < 0) {
      ::close(fd);
      return Read::kError;
    }
    n += static_cast<size_t>(r);
    // A short read is the end of a regular file and of a seq_file (cgroupfs).
    if (r == 0 || n < g_buf.size()) break;
    if (n == g_buf.size()) break;  // larger than any accounting file: truncated
  }
  ::close(fd);
  ++g_count.files_read;
  g_count.bytes_read += n;
  out = std::string_view(g_buf.data(), n);
  return Read::kOk;
}

// ---------------------------------------------------------------------------
// Parsers (spec 10 §4).

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Counter value: negative reads as 0, garbage is an error.
std::optional<uint64_t> parse_counter(std::string_view s) {
  if (!s.empty() && s.front() == '-') {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return 0;
  }
  return parse_u64(s);
}

// Splits the next line off s.
std::string_view next_line(std::string_view& s) {
  size_t nl = s.find('\n');
  std::string_view line = s.substr(0, nl);
  s.remove_prefix(nl == std::string_view::npos ? s.size() : nl + 1);
  return line;
}

// Splits off the next whitespace-separated field.
std::string_view next_field(std::string_view& s) {
  size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string_view::npos) {
    s = {};
    return {};
  }
  s.remove_prefix(b);
  size_t e = s.find_first_of(" \t\n");
  std::string_view f = s.substr(0, e);
  s.remove_prefix(e == std::string_view::npos ? s.size() : e);
  return f;
}

// "key value" lines; calls want(key, value) for each. False on a malformed line.
template <typename F>
bool parse_kv(std::string_view text, F&& want) {
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (trim(line).empty()) continue;
    std::string_view k = next_field(line);
    std::string_view v = next_field(line);
    if (k.empty() || v.empty() || !trim(line).empty()) return false;
    auto n = parse_counter(v);
    if (!n) return false;
    want(k, *n);
  }
  return true;
}

// v1 single-value file: "max" -> 0, negative -> 0, garbage -> error.
std::optional<uint64_t> parse_v1_int(std::string_view s) {
  s = trim(s);
  if (s == "max") return 0;
  return parse_counter(s);
}

// v2 single-value file: "max" -> 2^64-1, negative or garbage -> 0.
uint64_t parse_v2_int(std::string_view s) {
  s = trim(s);
  if (s == "max") return kU64Max;
  return parse_counter(s).value_or(0);
}

uint64_t count_cpus(std::string_view s) {
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  if (s.empty()) return 0;
  uint64_t n = 0;
  while (true) {
    size_t comma = s.find(',');
    std::string_view el = s.substr(0, comma);
    size_t dash = el.find('-');
    if (dash == std::string_view::npos) {
      if (!parse_u64(el)) return 0;
      ++n;
    } else {
      auto a = parse_u64(el.substr(0, dash));
      auto b = parse_u64(el.substr(dash + 1));
      if (!a || !b || *b < *a) return 0;
      n += *b - *a + 1;
    }
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return n;
}

// "full avg10=.. avg60=.. avg300=.. total=N" -> N µs; nullopt when absent/malformed.
std::optional<uint64_t> psi_full_total(std::string_view text) {
  while (!text.empty()) {
    std::string_view line = next_line(text);
    std::string_view kind = next_field(line);
    if (kind != "full") continue;
    std::optional<uint64_t> total;
    for (std::string_view f = next_field(line); !f.empty(); f = next_field(line)) {
      size_t eq = f.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      if (f.substr(0, eq) == "total") {
        total = parse_u64(f.substr(eq + 1));
        if (!total) return std::nullopt;
      }
    }
    return total;
  }
  return std::nullopt;
}

struct RdmaDev {
  std::string dev;
  uint64_t handles = 0, objects = 0;
};

uint64_t rdma_value(std::string_view kv, std::string_view key, bool& ok) {
  size_t eq = kv.find('=');
  if (eq == std::string_view::npos || kv.substr(0, eq) != key) {
    ok = false;
    return 0;
  }
  std::string_view v = kv.substr(eq + 1);
  if (v == "max") return 4294967295U;
  auto n = parse_u64(v);
  if (!n) ok = false;
  return n.value_or(0);
}

bool parse_rdma(std::string_view text, std::vector<RdmaDev>& out) {
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (trim(line).empty()) continue;
    std::string_view dev = next_field(line);
    std::string_view h = next_field(line);
    std::string_view o = next_field(line);
    if (o.empty() || !trim(line).empty()) return false;
    bool ok = true;
    RdmaDev d{std::string(dev), rdma_value(h, "hca_handle", ok), rdma_value(o, "hca_object", ok)};
    if (!ok) return false;
    out.push_back(std::move(d));
  }
  return true;
}

size_t count_lines(std::string_view text) {
  size_t n = 0;
  while (!text.empty()) {
    if (!trim(next_line(text)).empty()) ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------
// Units.

struct Stats {
  double cpu_user = 0, cpu_system = 0;
  uint64_t cpus = 0;
  uint64_t rss = 0, cache = 0, used = 0, total = 0, failcnt = 0;
  uint64_t memsw_used = 0, memsw_total = 0, memsw_fail = 0;
  double cpu_psi = 0, mem_psi = 0;
  std::vector<RdmaDev> rdma;
  bool error = false;
};

struct Unit {
  uint64_t id = 0;
  std::string uuid;
  std::string rel;  // v1: relative to <cg>/<ctrl>, to find the job in the other controllers
  std::vector<int> procs;
  Stats st;
};

struct CpuCache {
  uint64_t cpus = 0;
  uint64_t generation = 0;
};

struct State {
  Dir cg, base, proc;
  Dir v1_memory, v1_cpuset, v1_cpuacct;  // controller roots (v1)
  bool have_v1_memory = false, have_v1_cpuset = false;
  bool have_rdma = false, have_pids = false;  // controller roots, checked per scrape
  Dir v1_rdma, v1_pids;
  uint64_t mem_total = 0, swap_total = 0;
  std::vector<Unit> units;
  size_t n_units = 0;
  std::unordered_map<uint64_t, CpuCache> cpus;
  std::unordered_map<uint64_t, uint64_t> known;  // --gpu-map: job id -> generation last seen
  uint64_t generation = 0;
  std::vector<std::vector<std::string>> subdirs;  // per subtree-walk depth
  std::string out;
  std::vector<uint32_t> order;
};

State g;

// Appends the PIDs of d's cgroup.procs to the unit; with stat_pids only those
// that <procfs>/<pid> shows (the former walk's liveness probe).
void read_procs(const Dir& d, Unit& u, bool stat_pids) {
  std::string_view text;
  if (read_file(d, "cgroup.procs", text) != Read::kOk) return;
  ++g_count.procs_read;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (line.empty()) continue;
    auto pid = parse_u64(line);
    if (!pid) continue;
    if (stat_pids) {
      char name[24];
      size_t n = std::min(line.size(), sizeof name - 1);
      std::memcpy(name, line.data(), n);
      name[n] = '\0';
      ++g_count.pid_stats;
      if (!exists_in(g.proc, name)) continue;
    }
    u.procs.push_back(static_cast<int>(*pid));
  }
}

// Cached CPU count of a job; reads the file only for a job not seen before.
void job_cpus(Unit& u, const Dir& dir, const char* file) {
  auto it = g.cpus.find(u.id);
  if (it == g.cpus.end()) {
    std::string_view text;
    uint64_t n = 0;
    if (read_file(dir, file, text) == Read::kOk) n = count_cpus(text);
    it = g.cpus.emplace(u.id, CpuCache{n, 0}).first;
  }
  it->second.generation = g.generation;
  u.st.cpus = it->second.cpus;
}

// ---- v1 ----

void v1_memory(Unit& u, const Dir& md) {
  Stats& s = u.st;
  std::string_view text;
  Read r = read_file(md, "memory.stat", text);
  if (r == Read::kMissing) return;
  if (r == Read::kError) {
    s.error = true;
    return;
  }
  if (!parse_kv(text, [&](std::string_view k, uint64_t v) {
        if (k == "total_rss") s.rss = v;
        if (k == "total_cache") s.cache = v;
      })) {
    s.error = true;
    return;
  }
  r = read_file(md, "memory.oom_control", text);
  if (r == Read::kMissing) return;
  if (r == Read::kError || !parse_kv(text, [](std::string_view, uint64_t) {})) {
    s.error = true;
    return;
  }
  static constexpr std::array<const char*, 4> kModules = {"memory.", "memory.memsw.", "memory.kmem.",
                                                          "memory.kmem.tcp."};
  static constexpr std::array<const char*, 4> kFiles = {"usage_in_bytes", "max_usage_in_bytes", "failcnt",
                                                        "limit_in_bytes"};
  for (size_t m = 0; m < kModules.size(); ++m) {
    for (size_t f = 0; f < kFiles.size(); ++f) {
      char name[64];
      std::snprintf(name, sizeof name, "%s%s", kModules[m], kFiles[f]);
      r = read_file(md, name, text);
      if (r == Read::kMissing) return;
      std::optional<uint64_t> v;
      if (r == Read::kOk) v = parse_v1_int(text);
      if (!v) {
        s.error = true;
        return;
      }
      if (m == 0 && f == 0) s.used = *v;
      if (m == 0 && f == 2) s.failcnt = *v;
      if (m == 0 && f == 3) s.total = *v;
      if (m == 1 && f == 0) s.memsw_used = *v;
      if (m == 1 && f == 2) s.memsw_fail = *v;
      if (m == 1 && f == 3) s.memsw_total = *v;
    }
  }
}

void v1_memory(Unit& u, const Dir& md);

void v1_stats(Unit& u, const Dir& walked) {
  Stats& s = u.st;
  // cpuacct is read through the walk's fd when it is the walked controller.
  std::optional<Dir> other;
  if (g_opt.ctrl != "cpuacct") other = open_dir(g.v1_cpuacct, u.rel);
  Dir none;
  const Dir& cpuacct_job = g_opt.ctrl == "cpuacct" ? walked : (other ? *other : none);
  // cpuacct: the values count only if all three files read and parse; a
  // missing file is silent, any other failure flags the unit.
  std::string_view text;
  uint64_t user = 0, system = 0;
  auto failed = [&](Read r) {
    if (r == Read::kError) s.error = true;
    return r != Read::kOk;
  };
  auto bad = [&](bool parsed) {
    if (!parsed) s.error = true;
    return !parsed;
  };
  if ((g_opt.ctrl == "cpuacct" || other) && !failed(read_file(cpuacct_job, "cpuacct.stat", text)) &&
      !bad(parse_kv(text,
                    [&](std::string_view k, uint64_t v) {
                      if (k == "user") user = v;
                      if (k == "system") system = v;
                    })) &&
      !failed(read_file(cpuacct_job, "cpuacct.usage", text)) && !bad(parse_v1_int(text).has_value()) &&
      !failed(read_file(cpuacct_job, "cpuacct.usage_percpu", text))) {
    bool ok = true;
    for (std::string_view f = next_field(text); !f.empty(); f = next_field(text)) {
      if (!parse_u64(trim(f))) ok = false;
    }
    if (!bad(ok)) {
      s.cpu_user = static_cast<double>(user) / 100.0;
      s.cpu_system = static_cast<double>(system) / 100.0;
    }
  }
  if (other) close_dir(*other);

  if (g.have_v1_memory) {
    if (auto md = open_dir(g.v1_memory, u.rel)) {
      v1_memory(u, *md);
      close_dir(*md);
    }
  }
  if (g.have_v1_cpuset) {
    auto it = g.cpus.find(u.id);
    if (it != g.cpus.end()) {
      it->second.generation = g.generation;
      s.cpus = it->second.cpus;
    } else if (auto cd = open_dir(g.v1_cpuset, u.rel)) {
      job_cpus(u, *cd, "cpuset.cpus");
      close_dir(*cd);
    }
  }
  if (g.have_pids) {
    // Read but not exported; a garbage value still flags the unit.
    if (auto pd = open_dir(g.v1_pids, u.rel)) {
      for (const char* f : {"pids.current", "pids.max"}) {
        if (read_file(*pd, f, text) == Read::kOk && !parse_v1_int(text)) s.error = true;
      }
      close_dir(*pd);
    }
  }
  if (g.have_rdma) {
    if (auto rd = open_dir(g.v1_rdma, u.rel)) {
      std::string_view cur;
      if (read_file(*rd, "rdma.current", cur) == Read::kOk) {
        std::string cur_copy(cur);
        std::string_view max;
        if (read_file(*rd, "rdma.max", max) == Read::kOk && count_lines(max) == count_lines(cur_copy)) {
          if (!parse_rdma(cur_copy, s.rdma)) s.error = true;
        }
      }
      close_dir(*rd);
    }
  }
  if (s.total == kU64Max && g.mem_total > 0) s.total = g.mem_total;
  if (s.memsw_total == kU64Max) {
    if (g.swap_total > 0) {
      s.memsw_total = g.swap_total;
    } else if (g.mem_total > 0) {
      s.memsw_total = g.mem_total;
    }
  }
}

// ---- v2 ----

// Whether cgroup.events says the cgroup is empty ("populated 0"). A missing,
// empty or unparsable file reads as populated.
bool v2_unpopulated(const Dir& jd) {
  std::string_view text;
  if (read_file(jd, "cgroup.events", text) != Read::kOk) return false;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (next_field(line) != "populated") continue;
    std::string_view v = next_field(line);
    return v == "0" && next_field(line).empty();
  }
  return false;
}

void v2_stats(Unit& u, const Dir& jd) {
  Stats& s = u.st;
  std::string_view text;
  if (read_file(jd, "cgroup.controllers", text) != Read::kOk) {
    s.error = true;
    text = {};
  }
  bool cpu = false, memory = false, rdma = false;
  for (std::string_view f = next_field(text); !f.empty(); f = next_field(text)) {
    if (f == "cpu") cpu = true;
    if (f == "memory") memory = true;
    if (f == "rdma") rdma = true;
  }
  if (cpu && read_file(jd, "cpu.stat", text) == Read::kOk) {
    if (!parse_kv(text, [&](std::string_view k, uint64_t v) {
          if (k == "user_usec") s.cpu_user = static_cast<double>(v) / 1e6;
          if (k == "system_usec") s.cpu_system = static_cast<double>(v) / 1e6;
        })) {
      s.error = true;
    }
  }
  if (memory) {
    if (read_file(jd, "memory.stat", text) == Read::kOk) {
      if (!parse_kv(text, [&](std::string_view k, uint64_t v) {
            if (k == "anon") s.rss = v;
            if (k == "file") s.cache = v;
          })) {
        s.error = true;
      }
    }
    if (read_file(jd, "memory.events", text) == Read::kOk) {
      parse_kv(text, [&](std::string_view k, uint64_t v) {
        if (k == "oom") s.failcnt = v;
      });
    }
    if (read_file(jd, "memory.current", text) == Read::kOk) s.used = parse_v2_int(text);
    if (read_file(jd, "memory.max", text) == Read::kOk) {
      s.total = parse_v2_int(text);
      if (s.total == kU64Max && g.mem_total > 0) s.total = g.mem_total;
    }
  }
  if (rdma && read_file(jd, "rdma.current", text) == Read::kOk) {
    if (!parse_rdma(text, s.rdma)) s.error = true;
  }
  if ((g_opt.swap && memory) || g_opt.read_all) {
    if (read_file(jd, "memory.swap.current", text) == Read::kOk) s.memsw_used = parse_v2_int(text);
    if (read_file(jd, "memory.swap.max", text) == Read::kOk) {
      s.memsw_total = parse_v2_int(text);
      if (s.memsw_total == kU64Max) {
        if (g.swap_total > 0) {
          s.memsw_total = g.swap_total;
        } else if (g.mem_total > 0) {
          s.memsw_total = g.mem_total;
        }
      }
    }
  }
  if (g_opt.psi || g_opt.read_all) {
    if (read_file(jd, "cpu.pressure", text) == Read::kOk)
      s.cpu_psi = static_cast<double>(psi_full_total(text).value_or(0)) / 1e6;
    if (read_file(jd, "memory.pressure", text) == Read::kOk)
      s.mem_psi = static_cast<double>(psi_full_total(text).value_or(0)) / 1e6;
  }
  if (g_opt.read_all) {
    uint64_t sink = 0;
    if (read_file(jd, "io.stat", text) == Read::kOk) {
      while (!text.empty()) {
        std::string_view line = next_line(text);
        for (std::string_view f = next_field(line); !f.empty(); f = next_field(line)) {
          size_t eq = f.find('=');
          if (eq != std::string_view::npos) sink += parse_u64(f.substr(eq + 1)).value_or(0);
        }
      }
    }
    if (read_file(jd, "io.pressure", text) == Read::kOk) sink += psi_full_total(text).value_or(0);
    g_sink = g_sink + sink;  // keeps the parse from being optimised away
  }
  job_cpus(u, jd, "cpuset.cpus.effective");
}

// ---------------------------------------------------------------------------
// Discovery (spec 10 §3, demand-driven): the unit directories are found by
// listing their parents only; each unit's files are read as its entry comes up.

// A job_<digits>... name: the id is the leading digits.
bool is_job_name(const char* name) {
  return std::strncmp(name, "job_", 4) == 0 && name[4] >= '0' && name[4] <= '9';
}

std::string_view job_digits(const char* name) {
  const char* e = name + 4;
  while (*e >= '0' && *e <= '9') ++e;
  return {name + 4, static_cast<size_t>(e - (name + 4))};
}

bool is_dot(const char* nm) { return nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')); }

// Whether a directory entry is a directory; DT_UNKNOWN (filesystems that do not
// fill d_type) costs a stat.
bool entry_is_dir(int dirfd, const char* nm, unsigned char type) {
  if (type == DT_DIR) return true;
  if (type != DT_UNKNOWN) return false;
  struct stat st {};
  return ::fstatat(dirfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

// Lists fd with getdents64, calling each(name, d_type) for every entry but . and
// ..; depth picks the buffer, so a callback may list a subdirectory (one level
// deeper) while this listing is in progress.
constexpr size_t kListDepths = 4;
template <typename F>
void list_dir(int fd, size_t depth, F&& each) {
  alignas(8) static std::array<std::array<char, 1 << 15>, kListDepths> bufs;
  char* buf = bufs[depth].data();
  ++g_count.dirs_listed;
  for (;;) {
    long n = ::syscall(SYS_getdents64, fd, buf, bufs[depth].size());
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* e = reinterpret_cast<struct dirent64*>(buf + off);
      off += e->d_reclen;
      if (!is_dot(e->d_name)) each(static_cast<const char*>(e->d_name), e->d_type);
    }
  }
}

// Opens name below parent: listable (O_RDONLY) when it is to be listed, else an
// O_PATH fd for openat. With --abs-paths only the path is kept (and an fd only
// where getdents needs one).
bool open_sub(const Dir& parent, const char* name, bool listable, Dir& out) {
  if (g_opt.abs_paths) {
    out.path = parent.path;
    out.path += '/';
    out.path += name;
    if (!listable) return true;
    out.fd = ::open(out.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else {
    out.fd = ::openat(parent.fd, name, (listable ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC);
  }
  return out.fd >= 0;
}

// The subtree of a unit: d and every directory below it listed, cgroup.procs of
// each read (the former walk; --perf and --gpu-map need the PIDs). Names are
// collected before descending, so one listing buffer serves every depth.
void subtree(const Dir& d, Unit& u, bool stat_pids, size_t depth) {
  if (g.subdirs.size() <= depth) g.subdirs.resize(depth + 1);
  std::vector<std::string> subs;
  subs.swap(g.subdirs[depth]);  // reuses the capacity of earlier scrapes
  subs.clear();
  list_dir(d.fd, kListDepths - 1, [&](const char* nm, unsigned char type) {
    if (entry_is_dir(d.fd, nm, type)) subs.emplace_back(nm);
  });
  read_procs(d, u, stat_pids);
  for (const std::string& s : subs) {
    Dir c;
    if (open_sub(d, s.c_str(), true, c)) subtree(c, u, stat_pids, depth + 1);
    close_dir(c);
  }
  subs.swap(g.subdirs[depth]);
}

// A directory under a walk root that holds no units: --walk lists it anyway,
// with everything below it, as the former discovery did.
void walk_plain(const Dir& d, size_t depth) {
  if (g.subdirs.size() <= depth) g.subdirs.resize(depth + 1);
  std::vector<std::string> subs;
  subs.swap(g.subdirs[depth]);
  subs.clear();
  list_dir(d.fd, kListDepths - 1, [&](const char* nm, unsigned char type) {
    if (entry_is_dir(d.fd, nm, type)) subs.emplace_back(nm);
  });
  for (const std::string& s : subs) {
    Dir c;
    if (open_sub(d, s.c_str(), true, c)) walk_plain(c, depth + 1);
    close_dir(c);
  }
  subs.swap(g.subdirs[depth]);
}

// True when a NUL-separated environment block holds an entry starting with key.
bool environ_has(std::string_view env, std::string_view key) {
  for (size_t at = env.find(key); at != std::string_view::npos; at = env.find(key, at + 1)) {
    if (at == 0 || env[at - 1] == '\0') return true;
  }
  return false;
}

// --gpu-map: a job not seen at the previous scrape gets its PIDs (unless this
// scrape already has them) and their environments read until one names the GPUs.
void gpu_map(Unit& u, const Dir& jd) {
  auto [it, inserted] = g.known.try_emplace(u.id, g.generation);
  it->second = g.generation;
  if (!inserted) return;
  ++g_count.new_jobs;
  if (!g_opt.walk && !g_opt.perf) subtree(jd, u, false, 0);
  for (int pid : u.procs) {
    char name[40];
    std::snprintf(name, sizeof name, "%d/environ", pid);
    std::string_view env;
    if (read_file(g.proc, name, env) != Read::kOk) continue;  // exited, or not ours to read
    ++g_count.environ_reads;
    if (environ_has(env, "SLURM_JOB_GPUS=")) break;
  }
}

// One unit: its directory entry job_<digits>... in parent (rel: parent's path
// relative to the base, v1 finds the job in the other controllers by it).
void unit(const Dir& parent, const std::string& rel, const char* name) {
  const bool listable = g_opt.walk || g_opt.perf || g_opt.gpu_map;
  Dir jd;
  if (!open_sub(parent, name, listable, jd)) return;  // vanished since the listing
  if (g_opt.v2 && v2_unpopulated(jd)) {
    ++g_count.stale;
    if (g_opt.walk) walk_plain(jd, 0);  // the former walk listed it all the same
    close_dir(jd);
    return;
  }
  if (g.n_units == g.units.size()) g.units.emplace_back();
  Unit& u = g.units[g.n_units++];
  u.procs.clear();
  u.st = Stats{};
  u.uuid = job_digits(name);
  u.id = parse_u64(u.uuid).value_or(0);
  if (!g_opt.v2) {
    u.rel = rel;
    u.rel += '/';
    u.rel += name;
  }
  if (g_opt.v2) {
    v2_stats(u, jd);
  } else {
    v1_stats(u, jd);
  }
  if (g_opt.walk) {
    subtree(jd, u, true, 0);
  } else if (g_opt.perf) {
    subtree(jd, u, false, 0);
  }
  if (g_opt.gpu_map) gpu_map(u, jd);
  close_dir(jd);
}

// Lists a directory that holds units: a walk root (depth 1) or, on v1, a uid_*
// directory in it (depth 2).
void list_units(const Dir& d, const std::string& rel, size_t depth) {
  list_dir(d.fd, depth, [&](const char* nm, unsigned char type) {
    if (is_job_name(nm)) {
      if (entry_is_dir(d.fd, nm, type)) unit(d, rel, nm);
      return;
    }
    bool uid = !g_opt.v2 && depth == 1 && std::strncmp(nm, "uid_", 4) == 0;
    if (!uid && !g_opt.walk) return;
    if (!entry_is_dir(d.fd, nm, type)) return;
    Dir c;
    if (open_sub(d, nm, true, c)) {
      if (uid) {
        list_units(c, rel + "/" + nm, depth + 1);
      } else {
        walk_plain(c, 0);
      }
    }
    close_dir(c);
  });
}

// Walk roots: <base>/slurm and <base>/slurm_* (v1), <cg>/system.slice/slurmstepd.scope
// and <cg>/system.slice/*_slurmstepd.scope (v2).
void discover() {
  Dir parent;
  parent.path = g_opt.v2 ? g.cg.path + "/system.slice" : g.base.path;
  parent.fd = ::open(parent.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent.fd < 0) return;
  std::vector<std::string> roots;
  list_dir(parent.fd, 0, [&](const char* name, unsigned char type) {
    std::string_view nm(name);
    constexpr std::string_view kScope = "_slurmstepd.scope";
    bool root = g_opt.v2 ? (nm == "slurmstepd.scope" ||
                            (nm.size() > kScope.size() && nm.substr(nm.size() - kScope.size()) == kScope))
                         : (nm == "slurm" || nm.substr(0, 6) == "slurm_");
    if (root && entry_is_dir(parent.fd, name, type)) roots.emplace_back(nm);
  });
  for (const std::string& r : roots) {
    Dir d;
    if (open_sub(parent, r.c_str(), true, d)) list_units(d, r, 1);
    close_dir(d);
  }
  close_dir(parent);
}

// ---------------------------------------------------------------------------
// Exposition.

size_t format_value(double v, char* out) {
  // Go's strconv.FormatFloat(v, 'g', -1, 64), as Prometheus prints values:
  // shortest round-trip digits, scientific iff exp < -4 || exp >= 6, exponent
  // with at least two digits (4.294967296e+09).
  std::array<char, 40> sci{};
  auto r = std::to_chars(sci.data(), sci.data() + sci.size(), v, std::chars_format::scientific);
  const char* e = std::find(sci.data(), r.ptr, 'e');
  int exp = 0;
  const char* ep = e + 1;
  if (*ep == '+') ++ep;
  std::from_chars(ep, r.ptr, exp);
  if (exp < -4 || exp >= 6) {
    size_t n = static_cast<size_t>(r.ptr - sci.data());
    std::memcpy(out, sci.data(), n);
    return n;
  }
  auto f = std::to_chars(out, out + 40, v, std::chars_format::fixed);
  return static_cast<size_t>(f.ptr - out);
}

struct Family {
  const char* name;
  const char* help;
  const char* type;
  int kind;  // which value (see value_of); rdma families are per device
};

enum Kind {
  kCollectError,
  kCpuPsi,
  kCpuSystem,
  kCpuUser,
  kCpus,
  kMemCache,
  kMemFail,
  kMemPsi,
  kMemRss,
  kMemTotal,
  kMemUsed,
  kSwFail,
  kSwTotal,
  kSwUsed,
  kRdmaHandles,
  kRdmaObjects,
};

// In exposition (name) order; ceems_compute_units comes after all of these.
constexpr std::array<Family, 16> kFamilies = {{
    {"ceems_compute_unit_collect_error", "Indicates collection error, 0=no error, 1=error", "gauge",
     kCollectError},
    {"ceems_compute_unit_cpu_psi_seconds", "Total CPU PSI in seconds", "gauge", kCpuPsi},
    {"ceems_compute_unit_cpu_system_seconds_total", "Total job CPU system seconds", "counter", kCpuSystem},
    {"ceems_compute_unit_cpu_user_seconds_total", "Total job CPU user seconds", "counter", kCpuUser},
    {"ceems_compute_unit_cpus", "Total number of job CPUs", "gauge", kCpus},
    {"ceems_compute_unit_memory_cache_bytes", "Memory cache used in bytes", "gauge", kMemCache},
    {"ceems_compute_unit_memory_fail_count", "Memory fail count", "gauge", kMemFail},
    {"ceems_compute_unit_memory_psi_seconds", "Total memory PSI in seconds", "gauge", kMemPsi},
    {"ceems_compute_unit_memory_rss_bytes", "Memory RSS used in bytes", "gauge", kMemRss},
    {"ceems_compute_unit_memory_total_bytes", "Memory total in bytes", "gauge", kMemTotal},
    {"ceems_compute_unit_memory_used_bytes", "Memory used in bytes", "gauge", kMemUsed},
    {"ceems_compute_unit_memsw_fail_count", "Swap fail count", "gauge", kSwFail},
    {"ceems_compute_unit_memsw_total_bytes", "Swap total in bytes", "gauge", kSwTotal},
    {"ceems_compute_unit_memsw_used_bytes", "Swap used in bytes", "gauge", kSwUsed},
    {"ceems_compute_unit_rdma_hca_handles", "Current number of RDMA HCA handles", "gauge", kRdmaHandles},
    {"ceems_compute_unit_rdma_hca_objects", "Current number of RDMA HCA objects", "gauge", kRdmaObjects},
}};

double value_of(const Stats& s, int kind) {
  switch (kind) {
    case kCollectError:
      return 1;
    case kCpuPsi:
      return s.cpu_psi;
    case kCpuSystem:
      return s.cpu_system;
    case kCpuUser:
      return s.cpu_user;
    case kCpus:
      return static_cast<double>(s.cpus);
    case kMemCache:
      return static_cast<double>(s.cache);
    case kMemFail:
      return static_cast<double>(s.failcnt);
    case kMemPsi:
      return s.mem_psi;
    case kMemRss:
      return static_cast<double>(s.rss);
    case kMemTotal:
      return static_cast<double>(s.total);
    case kMemUsed:
      return static_cast<double>(s.used);
    case kSwFail:
      return static_cast<double>(s.memsw_fail);
    case kSwTotal:
      return static_cast<double>(s.memsw_total);
    case kSwUsed:
      return static_cast<double>(s.memsw_used);
    default:
      return 0;
  }
}

void append_value(std::string& out, double v) {
  char buf[48];
  out.append(buf, format_value(v, buf));
  out += '\n';
}

void expose() {
  std::string& out = g.out;
  out.clear();
  g.order.resize(g.n_units);
  for (uint32_t i = 0; i < g.n_units; ++i) g.order[i] = i;
  // Samples of a family come out sorted by label values: hostname and manager are
  // the same for all, so by uuid.
  std::sort(g.order.begin(), g.order.end(),
            [](uint32_t a, uint32_t b) { return g.units[a].uuid < g.units[b].uuid; });
  std::string host = "hostname=\"" + g_opt.hostname + "\",manager=\"slurm\",uuid=\"";
  for (const Family& f : kFamilies) {
    bool rdma = f.kind == kRdmaHandles || f.kind == kRdmaObjects;
    if ((f.kind == kCpuPsi || f.kind == kMemPsi) && !g_opt.psi) continue;
    if ((f.kind == kSwFail || f.kind == kSwTotal || f.kind == kSwUsed) && !g_opt.swap) continue;
    bool any = false;
    for (uint32_t i : g.order) {
      const Stats& s = g.units[i].st;
      if (f.kind == kCollectError && !s.error) continue;
      if (rdma && s.rdma.empty()) continue;
      any = true;
      break;
    }
    if (!any) continue;
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    if (rdma) {
      // Sorted by device, then uuid. The objects family shows handle values
      // (spec 10 §6 quirk).
      std::vector<std::pair<std::string_view, uint32_t>> rows;
      for (uint32_t i : g.order) {
        for (const RdmaDev& d : g.units[i].st.rdma) {
          if (d.handles > 0) rows.emplace_back(d.dev, i);
        }
      }
      std::stable_sort(rows.begin(), rows.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [dev, i] : rows) {
        const Unit& u = g.units[i];
        for (const RdmaDev& d : u.st.rdma) {
          if (d.dev != dev) continue;
          out += f.name;
          out += "{device=\"";
          out += dev;
          out += "\",";
          out += host;
          out += u.uuid;
          out += "\"} ";
          append_value(out, static_cast<double>(d.handles));
          break;
        }
      }
      continue;
    }
    for (uint32_t i : g.order) {
      const Unit& u = g.units[i];
      if (f.kind == kCollectError && !u.st.error) continue;
      out += f.name;
      out += '{';
      out += host;
      out += u.uuid;
      out += "\"} ";
      append_value(out, value_of(u.st, f.kind));
    }
  }
  out += "# HELP ceems_compute_units Total number of jobs\n# TYPE ceems_compute_units gauge\n";
  out += "ceems_compute_units{hostname=\"" + g_opt.hostname + "\",manager=\"slurm\"} ";
  append_value(out, static_cast<double>(g.n_units));
}

// Whether a v1 controller exists at all; keeps an O_PATH fd to it while it does.
bool controller_present(Dir& d, const char* name) {
  struct stat st {};
  bool ok = g_opt.abs_paths ? ::stat(d.path.c_str(), &st) == 0 : ::fstatat(g.cg.fd, name, &st, 0) == 0;
  if (!ok) {
    close_dir(d);
  } else if (!g_opt.abs_paths && d.fd < 0) {
    d.fd = ::openat(g.cg.fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  return ok;
}

void scrape() {
  ++g.generation;
  g.n_units = 0;
  if (!g_opt.v2) {
    g.have_rdma = controller_present(g.v1_rdma, "rdma");
    g.have_pids = controller_present(g.v1_pids, "pids");
  }
  discover();
  // Jobs that ended leave the CPU cache and the set of known jobs.
  std::erase_if(g.cpus, [](const auto& kv) { return kv.second.generation != g.generation; });
  std::erase_if(g.known, [](const auto& kv) { return kv.second != g.generation; });
  expose();
}

// ---------------------------------------------------------------------------

double now_s(clockid_t clk) {
  timespec ts{};
  ::clock_gettime(clk, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void host_meminfo() {
  Dir proc = g.proc;
  std::string_view text;
  if (read_file(proc, "meminfo", text) != Read::kOk) return;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    std::string_view k = next_field(line);
    auto v = parse_u64(next_field(line));
    if (!v) continue;
    if (k == "MemTotal:") g.mem_total = *v * 1024;
    if (k == "SwapTotal:") g.swap_total = *v * 1024;
  }
}

[[noreturn]] void usage() {
  std::fputs(
      "usage: cgroup_floor --root DIR --version v1|v2 [--scrapes N] [--min-ms MS] [--warmup N>=1]\n"
      "                    [--ctrl cpuacct] [--walk] [--perf] [--gpu-map]\n"
      "                    [--swap] [--psi] [--read-all] [--abs-paths] [--dump FILE] [--hostname H]\n"
      "  --root DIR      tree with DIR/sys/fs/cgroup and DIR/proc (or --cgroupfs/--procfs)\n"
      "  --walk          also the former full walk: every directory listed, every cgroup.procs\n"
      "                  read, every PID stat'ed in procfs\n"
      "  --perf          also each unit's PIDs every scrape (subtree listed, cgroup.procs read)\n"
      "  --gpu-map       also, for jobs new since the last scrape, their PIDs and environ files\n"
      "                  until SLURM_JOB_GPUS= (counted; the output does not change)\n",
      stderr);
  std::exit(2);
}

int open_root(const std::string& path) {
  int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "cgroup_floor: cannot open %s: %s\n", path.c_str(), std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--root") {
      g_opt.root = value();
    } else if (a == "--cgroupfs") {
      g_opt.cgroupfs = value();
    } else if (a == "--procfs") {
      g_opt.procfs = value();
    } else if (a == "--version") {
      std::string v = value();
      if (v != "v1" && v != "v2") usage();
      g_opt.v2 = v == "v2";
    } else if (a == "--ctrl") {
      g_opt.ctrl = value();
    } else if (a == "--scrapes") {
      g_opt.scrapes = std::atoi(value().c_str());
    } else if (a == "--min-ms") {
      g_opt.min_ms = std::atof(value().c_str());
    } else if (a == "--warmup") {
      g_opt.warmup = std::atoi(value().c_str());
    } else if (a == "--swap") {
      g_opt.swap = true;
    } else if (a == "--psi") {
      g_opt.psi = true;
    } else if (a == "--read-all") {
      g_opt.read_all = true;
    } else if (a == "--abs-paths") {
      g_opt.abs_paths = true;
    } else if (a == "--walk") {
      g_opt.walk = true;
    } else if (a == "--perf") {
      g_opt.perf = true;
    } else if (a == "--gpu-map") {
      g_opt.gpu_map = true;
    } else if (a == "--dump") {
      g_opt.dump = value();
    } else if (a == "--hostname") {
      g_opt.hostname = value();
    } else {
      usage();
    }
  }
  if (g_opt.cgroupfs.empty()) g_opt.cgroupfs = g_opt.root + "/sys/fs/cgroup";
  if (g_opt.procfs.empty()) g_opt.procfs = g_opt.root + "/proc";
  if (g_opt.root.empty() && (g_opt.cgroupfs.empty() || g_opt.procfs.empty())) usage();
  if (g_opt.scrapes < 1) usage();
  if (g_opt.hostname.empty()) {
    struct utsname u {};
    if (::uname(&u) == 0) g_opt.hostname = u.nodename;
  }

  g.cg = {open_root(g_opt.cgroupfs), g_opt.cgroupfs};
  g.proc = {open_root(g_opt.procfs), g_opt.procfs};
  if (g_opt.v2) {
    g.base = g.cg;
  } else {
    g.base = {open_root(g_opt.cgroupfs + "/" + g_opt.ctrl), g_opt.cgroupfs + "/" + g_opt.ctrl};
    if (auto m = open_dir(g.cg, "memory")) {
      g.v1_memory = *m;
      g.have_v1_memory = true;
    }
    if (auto c = open_dir(g.cg, "cpuacct")) g.v1_cpuacct = *c;
    if (auto c = open_dir(g.cg, "cpuset")) {
      g.v1_cpuset = *c;
      g.have_v1_cpuset = true;
    }
    g.v1_rdma.path = g_opt.cgroupfs + "/rdma";
    g.v1_pids.path = g_opt.cgroupfs + "/pids";
  }
  // Host data read once at start, as the collector does.
  host_meminfo();

  // The first scrape (all jobs new: CPU sets, --gpu-map environ scans) is
  // reported on its own (first_*) and never timed with the others: it is the
  // first warm-up scrape, and there is always one.
  g_count = {};
  double first_c = cpu_s();
  double first_w = now_s(CLOCK_MONOTONIC);
  scrape();
  double first_cpu = cpu_s() - first_c;
  double first_wall = now_s(CLOCK_MONOTONIC) - first_w;
  const Counters first = g_count;
  for (int i = 1; i < g_opt.warmup; ++i) scrape();
  g_count = {};
  // Per-scrape figures: the machine may be shared, the median resists outliers.
  std::vector<double> cpus, walls;
  double c0 = cpu_s();
  double w0 = now_s(CLOCK_MONOTONIC);
  while (static_cast<int>(walls.size()) < g_opt.scrapes ||
         (now_s(CLOCK_MONOTONIC) - w0) * 1e3 < g_opt.min_ms) {
    double c = cpu_s();
    double w = now_s(CLOCK_MONOTONIC);
    scrape();
    walls.push_back(now_s(CLOCK_MONOTONIC) - w);
    cpus.push_back(cpu_s() - c);
  }
  double wall = now_s(CLOCK_MONOTONIC) - w0;
  double cpu = cpu_s() - c0;
  const int scrapes = static_cast<int>(walls.size());
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };

  if (!g_opt.dump.empty()) {
    FILE* f = std::fopen(g_opt.dump.c_str(), "w");
    if (f == nullptr || std::fwrite(g.out.data(), 1, g.out.size(), f) != g.out.size()) {
      std::fprintf(stderr, "cgroup_floor: cannot write %s\n", g_opt.dump.c_str());
      return 1;
    }
    std::fclose(f);
  }
  // VmHWM, not ru_maxrss: the latter keeps the pre-exec peak of the parent.
  long hwm_kb = 0;
  {
    Dir self{::open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC), "/proc/self"};
    std::string_view text;
    if (self.fd >= 0 && read_file(self, "status", text) == Read::kOk) {
      size_t at = text.find("VmHWM:");
      if (at != std::string_view::npos) {
        std::string_view rest = text.substr(at + 6);
        hwm_kb = static_cast<long>(parse_u64(next_field(rest)).value_or(0));
      }
    }
    close_dir(self);
  }
  uint64_t pids = 0;
  for (size_t i = 0; i < g.n_units; ++i) pids += g.units[i].procs.size();
  auto per = [&](uint64_t v) { return static_cast<double>(v) / scrapes; };
  std::printf(
      "FLOOR version=%s mode=%s perf=%d gpu_map=%d units=%zu pids=%llu scrapes=%d cpu_ms=%.3f wall_ms=%.3f "
      "cpu_median_ms=%.3f wall_median_ms=%.3f bytes=%zu dirs_listed=%.0f files_read=%.0f files_missing=%.0f "
      "procs_read=%.0f pid_stats=%.0f environ_reads=%.0f new_jobs=%.0f stale=%.0f bytes_read=%.0f "
      "first_cpu_ms=%.3f first_wall_ms=%.3f first_dirs_listed=%llu first_files_read=%llu "
      "first_procs_read=%llu first_environ_reads=%llu first_new_jobs=%llu hwm_kb=%ld\n",
      g_opt.v2 ? "v2" : "v1", g_opt.walk ? "walk" : "least", g_opt.perf ? 1 : 0, g_opt.gpu_map ? 1 : 0,
      g.n_units, static_cast<unsigned long long>(pids), scrapes, cpu * 1e3 / scrapes, wall * 1e3 / scrapes,
      median(cpus) * 1e3, median(walls) * 1e3, g.out.size(), per(g_count.dirs_listed),
      per(g_count.files_read), per(g_count.files_missing), per(g_count.procs_read), per(g_count.pid_stats),
      per(g_count.environ_reads), per(g_count.new_jobs), per(g_count.stale), per(g_count.bytes_read),
      first_cpu * 1e3, first_wall * 1e3, static_cast<unsigned long long>(first.dirs_listed),
      static_cast<unsigned long long>(first.files_read), static_cast<unsigned long long>(first.procs_read),
      static_cast<unsigned long long>(first.environ_reads), static_cast<unsigned long long>(first.new_jobs),
      hwm_kb);
  return 0;
}
