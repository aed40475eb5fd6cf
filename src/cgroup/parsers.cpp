#include "cgroup/parsers.h"

#include <charconv>
#include <limits>

#include "core/go/strconv.h"
#include "core/go/text.h"
#include "core/strings.h"

namespace ceems::cgroup {
namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Up to max_fields whitespace-separated fields of line; returns the total count
// (which may exceed max_fields; only the first max_fields are stored).
size_t split_fields(std::string_view line, std::string_view* out, size_t max_fields) {
  size_t n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_ws(line[i])) ++i;
    if (i >= line.size()) break;
    size_t start = i;
    while (i < line.size() && !is_ws(line[i])) ++i;
    if (n < max_fields) out[n] = line.substr(start, i - start);
    ++n;
  }
  return n;
}

Error bad_escape(std::string_view path, std::string_view why) {
  return invalid("cannot unescape path " + quote_for_error(path, 200) + ": " + std::string(why));
}

}  // namespace

// ---- numbers ----------------------------------------------------------------

Result<uint64_t> parse_cgroup_uint(std::string_view s) {
  if (auto v = go::parse_uint(s)) return *v;
  // A negative integer of any magnitude reads as 0 ("-0" does not: Go's
  // ParseInt gives 0, which is not < 0, and the ParseUint error is returned).
  if (s.size() >= 2 && s.front() == '-') {
    std::string_view digits = s.substr(1);
    bool all_digits = true, nonzero = false;
    for (char c : digits) {
      if (!is_ascii_digit(c)) all_digits = false;
      if (c != '0') nonzero = true;
    }
    if (all_digits && nonzero) return uint64_t{0};
  }
  return invalid("invalid unsigned integer " + quote_for_error(s));
}

Result<uint64_t> parse_v1_value(std::string_view text) {
  std::string_view s = go::trim_space(text);
  if (s == "max") return uint64_t{0};
  return parse_cgroup_uint(s);
}

Result<uint64_t> parse_v2_value(std::string_view text) {
  std::string_view s = go::trim_space(text);
  if (s == "max") return kMaxU64;
  return parse_cgroup_uint(s);
}

// ---- flat keyed files ---------------------------------------------------------

namespace {

// The checks shared by both readers of flat keyed files: each line must be
// "key value"; with strict_values a value that is not an integer is an error.
// use(key, value_text) decides whether the value is parsed (it returns true to
// want the value, which is then passed to take(key, value)).
template <typename Want, typename Take>
Status scan_keyed_lines(std::string_view text, bool strict_values, Want&& want, Take&& take) {
  std::optional<Error> err;
  go::for_each_line(text, [&](std::string_view line) {
    std::string_view f[2];
    if (split_fields(line, f, 2) != 2) {
      err = invalid("invalid line " + quote_for_error(line) + ": want \"key value\"");
      return false;
    }
    const bool wanted = want(f[0]);
    if (!wanted && !strict_values) return true;
    auto v = parse_cgroup_uint(f[1]);
    if (!v && strict_values) {
      err = invalid("invalid value " + quote_for_error(f[1]) + " for key " + quote_for_error(f[0]));
      return false;
    }
    if (wanted) take(f[0], v ? *v : 0);
    return true;
  });
  if (err) return *err;
  return Status::Ok();
}

}  // namespace

Result<std::vector<KeyValue>> parse_flat_keyed(std::string_view text, bool strict_values) {
  std::vector<KeyValue> out;
  Status st = scan_keyed_lines(
      text, strict_values, [](std::string_view) { return true; },
      [&](std::string_view key, uint64_t value) {
        out.push_back({key, value});
      });
  if (!st) return st.error();
  return out;
}

Status scan_flat_keyed(std::string_view text, bool strict_values, std::span<const std::string_view> keys,
                       std::span<std::optional<uint64_t>> out) {
  for (auto& o : out) o.reset();
  size_t slot = 0;
  return scan_keyed_lines(
      text, strict_values,
      [&](std::string_view key) {
        for (slot = 0; slot < keys.size(); ++slot) {
          if (keys[slot] == key) return true;
        }
        return false;
      },
      [&](std::string_view, uint64_t value) { out[slot] = value; });
}

std::optional<uint64_t> find_key(std::span<const KeyValue> kvs, std::string_view key) {
  for (size_t i = kvs.size(); i > 0; --i) {
    if (kvs[i - 1].key == key) return kvs[i - 1].value;
  }
  return std::nullopt;
}

Result<CpuacctTicks> parse_cpuacct_stat(std::string_view text) {
  auto kvs = parse_flat_keyed(text, true);
  if (!kvs) return kvs.error();
  auto user = find_key(*kvs, "user");
  if (!user) return invalid("expected field \"user\" but not found");
  auto system = find_key(*kvs, "system");
  if (!system) return invalid("expected field \"system\" but not found");
  return CpuacctTicks{*user, *system};
}

Result<std::vector<uint64_t>> parse_percpu(std::string_view text) {
  std::vector<uint64_t> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_ws(text[i])) ++i;
    if (i >= text.size()) break;
    size_t start = i;
    while (i < text.size() && !is_ws(text[i])) ++i;
    std::string_view f = text.substr(start, i - start);
    auto v = go::parse_uint(f);
    if (!v) return invalid("invalid per-CPU usage " + quote_for_error(f));
    out.push_back(*v);
  }
  return out;
}

// ---- PSI -----------------------------------------------------------------------

Result<uint64_t> parse_psi_full_total(std::string_view text) {
  std::optional<uint64_t> full;
  std::optional<Error> err;
  go::for_each_line(text, [&](std::string_view line) {
    size_t i = 0;
    auto next_field = [&]() -> std::string_view {
      while (i < line.size() && is_ws(line[i])) ++i;
      size_t start = i;
      while (i < line.size() && !is_ws(line[i])) ++i;
      return line.substr(start, i - start);
    };
    std::string_view kind = next_field();
    bool is_full = kind == "full";
    if (!is_full && kind != "some") return true;  // empty or unknown line: ignored
    uint64_t total = 0;
    for (std::string_view f = next_field(); !f.empty(); f = next_field()) {
      size_t eq = f.find('=');
      if (eq == std::string_view::npos) {
        err = invalid("invalid PSI field " + quote_for_error(f));
        return false;
      }
      std::string_view key = f.substr(0, eq), value = f.substr(eq + 1);
      if (key == "total") {
        auto v = go::parse_uint(value);
        if (!v) {
          err = invalid("invalid PSI total " + quote_for_error(value));
          return false;
        }
        total = *v;
      } else if (key == "avg10" || key == "avg60" || key == "avg300") {
        if (!parse_double(value) || value.empty() || is_ws(value.front())) {
          err = invalid("invalid PSI " + std::string(key) + " " + quote_for_error(value));
          return false;
        }
      }
    }
    if (is_full) full = total;
    return true;
  });
  if (err) return *err;
  if (!full) return no_data("no \"full\" line");
  return *full;
}

// ---- block IO --------------------------------------------------------------------

std::vector<IoStatEntry> parse_io_stat(std::string_view text) {
  std::vector<IoStatEntry> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    // strings.Split(line, " "): the first part, then the rest.
    size_t sp = line.find(' ');
    if (sp != std::string_view::npos) {
      std::string_view first = line.substr(0, sp);
      size_t colon = first.find(':');
      if (colon != std::string_view::npos && first.find(':', colon + 1) == std::string_view::npos) {
        auto major = go::parse_uint(first.substr(0, colon));
        if (!major) return out;
        auto minor = go::parse_uint(first.substr(colon + 1));
        if (!minor) return out;
        IoStatEntry e;
        e.major = *major;
        e.minor = *minor;
        std::string_view rest = line.substr(sp + 1);
        size_t p = 0;
        while (p <= rest.size()) {
          size_t q = rest.find(' ', p);
          if (q == std::string_view::npos) q = rest.size();
          std::string_view kv = rest.substr(p, q - p);
          p = q + 1;
          size_t eq = kv.find('=');
          if (eq == std::string_view::npos || kv.find('=', eq + 1) != std::string_view::npos) continue;
          auto v = go::parse_uint(kv.substr(eq + 1));
          if (!v) continue;
          std::string_view key = kv.substr(0, eq);
          if (key == "rbytes") {
            e.rbytes = *v;
          } else if (key == "wbytes") {
            e.wbytes = *v;
          } else if (key == "rios") {
            e.rios = *v;
          } else if (key == "wios") {
            e.wios = *v;
          }
        }
        out.push_back(e);
      }
    }
    if (nl == std::string_view::npos) break;
  }
  return out;
}

Result<std::vector<BlkioEntry>> parse_blkio(std::string_view text) {
  std::vector<BlkioEntry> out;
  std::optional<Error> err;
  go::for_each_line(text, [&](std::string_view line) {
    // strings.FieldsFunc on ' ' and ':'.
    std::string_view f[4];
    size_t n = 0;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ':')) ++i;
      if (i >= line.size()) break;
      size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != ':') ++i;
      if (n < 4) f[n] = line.substr(start, i - start);
      ++n;
    }
    if (n < 3) {
      if (n == 2 && f[0] == "Total") return true;
      err = invalid("invalid blkio line " + quote_for_error(line));
      return false;
    }
    auto major = go::parse_uint(f[0]);
    auto minor = go::parse_uint(f[1]);
    std::string_view op;
    std::string_view value = f[2];
    if (n == 4) {
      op = f[2];
      value = f[3];
    }
    auto v = go::parse_uint(value);
    if (!major || !minor || !v) {
      err = invalid("invalid blkio line " + quote_for_error(line));
      return false;
    }
    out.push_back({*major, *minor, op, *v});
    return true;
  });
  if (err) return *err;
  return out;
}

// ---- RDMA ---------------------------------------------------------------------------

std::vector<RdmaEntry> parse_rdma(std::string_view text) {
  std::vector<RdmaEntry> out;
  auto parse_kv = [](std::string_view kv, RdmaEntry& e) {
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos || kv.find('=', eq + 1) != std::string_view::npos) return;
    std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
    uint64_t v = 0;
    if (value == "max") {
      v = std::numeric_limits<uint32_t>::max();
    } else {
      auto r = parse_cgroup_uint(value);
      if (!r || *r > std::numeric_limits<uint32_t>::max()) return;
      v = *r;
    }
    if (key == "hca_handle") {
      e.handles = static_cast<uint32_t>(v);
    } else if (key == "hca_object") {
      e.objects = static_cast<uint32_t>(v);
    }
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view f[3];
    if (split_fields(text.substr(pos, end - pos), f, 3) == 3) {
      RdmaEntry e;
      e.device = f[0];
      parse_kv(f[1], e);
      parse_kv(f[2], e);
      out.push_back(e);
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return out;
}

size_t rdma_line_count(std::string_view text) {
  size_t n = 1;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n;
}

// ---- cpusets, processes, devices, memory ----------------------------------------------

Result<uint64_t> count_cpus(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty()) return invalid("empty cpuset");
  uint64_t count = 0;
  size_t pos = 0;
  while (true) {
    size_t comma = text.find(',', pos);
    std::string_view elem =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    // Split on '-': "N" or "A-B". A leading '-' gives an empty first part (invalid).
    size_t dash = elem.find('-');
    if (dash == std::string_view::npos) {
      if (!go::parse_int(elem)) return invalid("invalid CPU " + quote_for_error(elem) + " in cpuset");
      ++count;
    } else {
      std::string_view a = elem.substr(0, dash), b = elem.substr(dash + 1);
      if (b.find('-') != std::string_view::npos) {
        return invalid("invalid CPU range " + quote_for_error(elem) + " in cpuset");
      }
      auto lo = go::parse_int(a), hi = go::parse_int(b);
      if (!lo || !hi) return invalid("invalid CPU range " + quote_for_error(elem) + " in cpuset");
      if (*hi >= *lo) count += static_cast<uint64_t>(*hi - *lo) + 1;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return count;
}

namespace {
std::optional<pid_t> parse_pid(std::string_view line) {
  auto v = go::parse_uint(line);
  if (!v || *v > static_cast<uint64_t>(std::numeric_limits<pid_t>::max())) return std::nullopt;
  return static_cast<pid_t>(*v);
}
}  // namespace

Result<std::vector<pid_t>> parse_cgroup_procs(std::string_view text) {
  std::vector<pid_t> out;
  std::optional<Error> err;
  go::for_each_line(text, [&](std::string_view line) {
    auto pid = parse_pid(line);
    if (!pid) {
      err = invalid("invalid PID " + quote_for_error(line) + " in cgroup.procs");
      return false;
    }
    out.push_back(*pid);
    return true;
  });
  if (err) return *err;
  return out;
}

void append_cgroup_procs(std::string_view text, std::vector<pid_t>& out) {
  go::for_each_line(text, [&](std::string_view line) {
    if (auto pid = parse_pid(line)) out.push_back(*pid);
    return true;
  });
}

Result<std::unordered_map<std::string, std::string>> parse_diskstats(std::string_view text) {
  std::unordered_map<std::string, std::string> out;
  std::optional<Error> err;
  go::for_each_line(text, [&](std::string_view line) {
    std::string_view f[3];
    size_t n = split_fields(line, f, 3);
    if (n == 0) return true;
    auto major = go::parse_uint(n >= 3 ? f[0] : std::string_view());
    auto minor = go::parse_uint(n >= 3 ? f[1] : std::string_view());
    if (!major || !minor) {
      err = invalid("invalid diskstats line " + quote_for_error(line));
      return false;
    }
    out[std::to_string(*major) + ":" + std::to_string(*minor)] = std::string(f[2]);
    return true;
  });
  if (err) return *err;
  return out;
}

Result<HostMemory> parse_host_memory(std::string_view text) {
  HostMemory out;
  std::optional<Error> err;
  go::for_each_line(text, [&](std::string_view line) {
    std::string_view f[3];
    size_t n = split_fields(line, f, 3);
    if (n == 0) return true;
    auto v = parse_double(n >= 2 ? f[1] : std::string_view());
    if ((n != 2 && n != 3) || !v || f[0].empty() || f[0].back() != ':') {
      err = invalid("invalid meminfo line " + quote_for_error(line));
      return false;
    }
    double bytes = *v;
    if (n == 3) {
      if (f[2] != "kB") {
        err = invalid("invalid meminfo unit " + quote_for_error(f[2]));
        return false;
      }
      bytes *= 1024;
    }
    std::string_view key = f[0].substr(0, f[0].size() - 1);
    auto as_u64 = [](double d) { return d <= 0 ? uint64_t{0} : static_cast<uint64_t>(d); };
    if (key == "MemTotal") {
      out.mem_total = as_u64(bytes);
    } else if (key == "SwapTotal") {
      out.swap_total = as_u64(bytes);
    }
    return true;
  });
  if (err) return *err;
  return out;
}

std::optional<bool> parse_populated(std::string_view text) {
  std::optional<bool> out;
  go::for_each_line(text, [&](std::string_view line) {
    std::string_view f[3];
    if (split_fields(line, f, 3) == 2 && f[0] == "populated") {
      out = trim(f[1]) != "0";
      return false;
    }
    return true;
  });
  return out;
}

// ---- paths ---------------------------------------------------------------------------------

Status unescape_path_into(std::string_view path, std::string& out) {
  if (auto st = go::unescape_string_body(path, out); !st) return bad_escape(path, st.error().message());
  return Status::Ok();
}

Result<std::string> unescape_path(std::string_view path) {
  std::string out;
  if (auto s = unescape_path_into(path, out); !s) return s.error();
  return out;
}

}  // namespace ceems::cgroup
