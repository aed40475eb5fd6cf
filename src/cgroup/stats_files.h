// What the v1 and v2 accounting readers share: reading one cgroup file into a
// per-thread buffer and recording how it went on the unit's statistics.
// Internal to the stats readers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cgroup/stats.h"
#include "core/filesystem.h"

namespace ceems::cgroup::stats_detail {

enum class Rd { kOk, kMissing, kError };

// Per-thread read buffer: a scrape reads tens of thousands of small files.
inline std::string& scratch() {
  thread_local std::string buf;
  return buf;
}

// Reads path into buf. A missing file is recorded (Stats::read then checks
// whether the unit vanished); the first error's message is kept for the log.
inline Rd read_file(const Filesystem& fs, const std::string& path, std::string& buf, UnitStats& s) {
  Status st = fs.read_into(path, buf);
  if (st) {
    s.saw_file = true;
    return Rd::kOk;
  }
  if (st.error().kind() == ErrorKind::kNotFound) {
    s.saw_missing = true;
    return Rd::kMissing;
  }
  s.saw_file = true;
  if (s.error_detail.empty()) s.error_detail = st.error().message();
  return Rd::kError;
}

// The same for a file of a directory held open.
inline Rd read_file(const Filesystem& fs, const DirHandle& dir, std::string_view name, std::string& buf,
                    UnitStats& s) {
  Status st = fs.read_at(dir, name, buf);
  if (st) {
    s.saw_file = true;
    return Rd::kOk;
  }
  if (st.error().kind() == ErrorKind::kNotFound) {
    s.saw_missing = true;
    return Rd::kMissing;
  }
  s.saw_file = true;
  if (s.error_detail.empty()) s.error_detail = st.error().message();
  return Rd::kError;
}

inline void set_error(UnitStats& s, const std::string& path, const Error& e) {
  s.error = true;
  if (s.error_detail.empty()) s.error_detail = path + ": " + e.message();
}

inline std::string device_key(uint64_t major, uint64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

}  // namespace ceems::cgroup::stats_detail
