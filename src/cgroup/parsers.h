// Pure parsers for cgroup v1/v2 accounting files and the helpers of compute-unit
// discovery (spec 10). No I/O: every function takes the file content (or a path
// string) and returns what it found. Numbers follow Go's semantics where the
// original relied on them: a negative integer reads as 0, other garbage is an error.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace ceems::cgroup {

// ---- numbers ----------------------------------------------------------------

// Go's parseUint of containerd/cgroups: decimal digits → value; a negative decimal
// integer (any magnitude) → 0; anything else (empty, '+', spaces, overflow) → error.
Result<uint64_t> parse_cgroup_uint(std::string_view s);

// v1 single-value file (containerd readUint): trimmed content; "max" → 0;
// negative → 0; empty or garbage → error.
Result<uint64_t> parse_v1_value(std::string_view text);

// v2 single-value file (getStatFileContentUint64): trimmed content; "max" → 2^64-1;
// negative → 0; empty or garbage → error (callers read that as 0).
Result<uint64_t> parse_v2_value(std::string_view text);

// ---- flat keyed files ---------------------------------------------------------

struct KeyValue {
  std::string_view key;  // points into the parsed text
  uint64_t value = 0;
};

// `key value` lines (memory.stat, cpu.stat, memory.events, memory.oom_control,
// cpuacct.stat). A line that does not have exactly two whitespace-separated
// fields is an error (an empty line in the middle included; one trailing newline
// is fine). strict_values: a value that is not an integer is an error (v1);
// otherwise it reads as 0 (v2 keeps it as a string, which then reads as 0).
Result<std::vector<KeyValue>> parse_flat_keyed(std::string_view text, bool strict_values = true);

// Value of the last line with this key (a map's semantics), or nullopt.
std::optional<uint64_t> find_key(std::span<const KeyValue> kvs, std::string_view key);

// parse_flat_keyed followed by find_key for each of keys, without building the
// list: the same errors, and out[i] = find_key(kvs, keys[i]). Values of other
// keys are parsed only when strict_values asks for them to be checked.
Status scan_flat_keyed(std::string_view text, bool strict_values, std::span<const std::string_view> keys,
                       std::span<std::optional<uint64_t>> out);

// cpuacct.stat: `user N` and `system N` in USER_HZ (100) ticks; both required.
struct CpuacctTicks {
  uint64_t user = 0, system = 0;
};
Result<CpuacctTicks> parse_cpuacct_stat(std::string_view text);

// cpuacct.usage_percpu: whitespace-separated integers.
Result<std::vector<uint64_t>> parse_percpu(std::string_view text);

// ---- PSI -----------------------------------------------------------------------

// The `total=` of the `full` line of a cpu/memory/io.pressure file, in µs.
// kNoData: no `full` line. kInvalid: a malformed field in any some/full line (the
// original then discards the whole file). Callers read any error as "absent" (0).
Result<uint64_t> parse_psi_full_total(std::string_view text);

// ---- block IO --------------------------------------------------------------------

struct IoStatEntry {
  uint64_t major = 0, minor = 0;
  uint64_t rbytes = 0, wbytes = 0, rios = 0, wios = 0;
};
// v2 io.stat: fields split on single spaces; a line whose first field is not
// MAJ:MIN is skipped; a non-numeric major/minor stops parsing (entries so far
// kept); unknown keys and unparsable values are ignored. Never fails.
std::vector<IoStatEntry> parse_io_stat(std::string_view text);

struct BlkioEntry {
  uint64_t major = 0, minor = 0;
  std::string_view op;  // "" for 3-field lines; points into the text
  uint64_t value = 0;
};
// v1 blkio.* files: `MAJ:MIN Op Value` (fields split on ' ' and ':'), `MAJ:MIN
// Value`, and `Total N` (skipped). Anything else is an error naming the line.
Result<std::vector<BlkioEntry>> parse_blkio(std::string_view text);

// ---- RDMA ---------------------------------------------------------------------------

struct RdmaEntry {
  std::string_view device;  // points into the text
  uint32_t handles = 0, objects = 0;
};
// rdma.current / rdma.max: `dev hca_handle=N hca_object=M` lines; lines without
// exactly three fields are skipped; `max` → 4294967295; a bad number leaves that
// value 0. Never fails (the original ignores what it cannot read).
std::vector<RdmaEntry> parse_rdma(std::string_view text);
// Number of '\n'-separated pieces (Go's len(strings.Split(text, "\n"))): the v1
// reader discards RDMA data when rdma.current and rdma.max differ in this count.
size_t rdma_line_count(std::string_view text);

// ---- cpusets, processes, devices, memory ----------------------------------------------

// cpuset.cpus(.effective): one trailing newline stripped; elements `N` or `A-B`
// separated by ','. Empty input, an empty element (e.g. a trailing comma) or a
// non-integer is an error (callers count 0). `0-3,8,10-11` → 7. A reversed range
// counts 0 CPUs, as the original's loop does.
Result<uint64_t> count_cpus(std::string_view text);

// cgroup.procs: one decimal PID per line; a line that is not one is an error.
Result<std::vector<pid_t>> parse_cgroup_procs(std::string_view text);
// The discovery variant: appends the PIDs of the valid lines, skipping the others
// silently as the original does. Allocation-free apart from out's growth.
void append_cgroup_procs(std::string_view text, std::vector<pid_t>& out);

// /proc/diskstats → "major:minor" → device name (a later line for the same
// numbers wins). A line with fewer than 3 fields or non-numeric numbers is an error.
Result<std::unordered_map<std::string, std::string>> parse_diskstats(std::string_view text);

// /proc/meminfo MemTotal and SwapTotal in bytes (`kB` values × 1024). A malformed
// line is an error, as in the meminfo collector.
struct HostMemory {
  uint64_t mem_total = 0, swap_total = 0;
};
Result<HostMemory> parse_host_memory(std::string_view text);

// cgroup.events (v2): the value of `populated`: false only for a line
// `populated 0`; true for `populated <n>` with n != 0; nullopt when the file has
// no such line.
std::optional<bool> parse_populated(std::string_view text);

// ---- paths ---------------------------------------------------------------------------------

// Unescapes a cgroup path with Go string-literal rules (strconv.Unquote of the
// path in double quotes): \a \b \f \n \r \t \v \\ \" \xHH \uHHHH \UHHHHHHHH and
// octal \NNN (<= 255). An unknown escape (\' included), a truncated one, an
// invalid code point, a raw '"' or a raw newline is an error. Invalid UTF-8 in
// the raw text becomes U+FFFD, as Go does.
Result<std::string> unescape_path(std::string_view path);
// Same, into a reused buffer (cleared first). On error out's content is unspecified.
Status unescape_path_into(std::string_view path, std::string& out);

}  // namespace ceems::cgroup
