// What the v1 and v2 accounting readers share: reading one cgroup file into a
// per-thread buffer and recording how it went on the unit's statistics.
// Internal to the stats readers.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "cgroup/stats.h"
#include "core/filesystem.h"

namespace ceems::cgroup::stats_detail {

// How reading one file of a unit went.
enum class FileRead { kOk, kMissing, kError };

inline constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

// Per-thread read buffer: a scrape reads tens of thousands of small files.
inline std::string& scratch() {
  thread_local std::string buf;
  return buf;
}

// Records on s how reading a file went: a missing file (Stats::read then checks
// whether the unit vanished); the first error's message is kept for the log.
inline FileRead record(const Status& st, UnitStats& s) {
  if (st) {
    s.saw_file = true;
    return FileRead::kOk;
  }
  if (st.error().kind() == ErrorKind::kNotFound) {
    s.saw_missing = true;
    return FileRead::kMissing;
  }
  s.saw_file = true;
  if (s.error_detail.empty()) s.error_detail = st.error().message();
  return FileRead::kError;
}

inline FileRead read_file(const Filesystem& fs, const std::string& path, std::string& buf, UnitStats& s) {
  return record(fs.read_into(path, buf), s);
}

// The same for a file of a directory held open.
inline FileRead read_file(const Filesystem& fs, const DirHandle& dir, std::string_view name, std::string& buf,
                          UnitStats& s) {
  return record(fs.read_at(dir, name, buf), s);
}

inline void set_error(UnitStats& s, const std::string& path, const Error& e) {
  s.error = true;
  if (s.error_detail.empty()) s.error_detail = path + ": " + e.message();
}

inline std::string device_key(uint64_t major, uint64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

}  // namespace ceems::cgroup::stats_detail
