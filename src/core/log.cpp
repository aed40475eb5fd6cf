#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/go/runes.h"
#include "core/strings.h"

namespace ceems::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kLogfmt)};
std::atomic<int> g_fd{2};
std::atomic<int64_t> g_repeat_window_ms{
    std::chrono::duration_cast<std::chrono::milliseconds>(kDefaultRepeatWindow).count()};

struct RepeatState {
  std::chrono::steady_clock::time_point window_start;
  uint64_t suppressed = 0;
};
// Bounded by the number of call sites times the identities they log for; cleared
// wholesale if something logs with unbounded identities.
constexpr size_t kMaxRepeatSources = 4096;
std::mutex g_repeat_mu;
std::unordered_map<std::string, RepeatState> g_repeats;

// The error text and the timing vary between repeats; the other fields say which
// thing failed.
bool is_detail_field(std::string_view key) {
  return key == "err" || key == "error" || key == "duration_seconds";
}

std::string repeat_key(const SourceLocation& loc, std::string_view msg, const std::vector<Field>& base,
                       std::initializer_list<Field> fields) {
  std::string key = loc.file_name();
  key += ':';
  key += std::to_string(loc.line());
  key += '\x1f';
  key += msg;
  for (const auto& f : base) {
    key += '\x1f';
    key += f.key;
    key += '=';
    key += f.value;
  }
  for (const auto& f : fields) {
    if (is_detail_field(f.key)) continue;
    key += '\x1f';
    key += f.key;
    key += '=';
    key += f.value;
  }
  return key;
}

// Returns nullopt when the line is to be dropped, else how many repeats it stands for.
std::optional<uint64_t> admit(const std::string& key) {
  const std::chrono::milliseconds window{g_repeat_window_ms.load(std::memory_order_relaxed)};
  if (window.count() <= 0) return 0;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(g_repeat_mu);
  auto it = g_repeats.find(key);
  if (it == g_repeats.end()) {
    if (g_repeats.size() >= kMaxRepeatSources) g_repeats.clear();
    g_repeats.emplace(key, RepeatState{now, 0});
    return 0;
  }
  RepeatState& st = it->second;
  if (now - st.window_start < window) {
    ++st.suppressed;
    return std::nullopt;
  }
  uint64_t n = st.suppressed;
  st = RepeatState{now, 0};
  return n;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "INFO";
}

std::string timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string_view basename(std::string_view path) {
  auto pos = path.rfind('/');
  return pos == std::string_view::npos ? path : path.substr(pos + 1);
}

// Bytes that are not printable text: controls, DEL, and bytes outside a well-formed
// UTF-8 sequence (raw file contents such as 0xFF must not reach a terminal or a log
// shipper as they are).
bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (size_t i = 0; i < v.size();) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || c < 0x20 || c == 0x7F) return true;
    size_t len = go::rune_length(v, i);
    if (len == 0) return true;
    i += len;
  }
  return false;
}

// logfmt shows a malformed byte as \xNN; JSON has no such escape and must stay
// valid UTF-8, so it gets U+FFFD there.
void append_escaped(std::string& out, std::string_view v, Format format) {
  for (size_t i = 0; i < v.size();) {
    char c = v[i];
    auto u = static_cast<unsigned char>(c);
    size_t len = go::rune_length(v, i);
    if (len > 1) {
      out.append(v.substr(i, len));
      i += len;
      continue;
    }
    ++i;
    if (len == 0) {
      if (format == Format::kJson) {
        out += "\\ufffd";
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", u);
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

void append_logfmt(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += key;
  out += '=';
  if (needs_quotes(value)) {
    out += '"';
    append_escaped(out, value, Format::kLogfmt);
    out += '"';
  } else {
    out += value;
  }
}

void append_json(std::string& out, std::string_view key, std::string_view value) {
  out += out.size() > 1 ? ",\"" : "\"";
  append_escaped(out, key, Format::kJson);
  out += "\":\"";
  append_escaped(out, value, Format::kJson);
  out += '"';
}

}  // namespace

void configure(Level level, Format format) {
  g_level = static_cast<int>(level);
  g_format = static_cast<int>(format);
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void set_output_fd(int fd) { g_fd = fd; }

void set_repeat_window(std::chrono::milliseconds window) { g_repeat_window_ms = window.count(); }

void reset_repeats() {
  std::lock_guard lock(g_repeat_mu);
  g_repeats.clear();
}

Result<Level> parse_level(std::string_view s) {
  if (s == "debug") return Level::kDebug;
  if (s == "info") return Level::kInfo;
  if (s == "warn") return Level::kWarn;
  if (s == "error") return Level::kError;
  return invalid("unrecognized log level \"" + std::string(s) + "\"");
}

Result<Format> parse_format(std::string_view s) {
  if (s == "logfmt") return Format::kLogfmt;
  if (s == "json") return Format::kJson;
  return invalid("unrecognized log format \"" + std::string(s) + "\"");
}

std::string format_line(Level level, std::string_view msg, const std::vector<Field>& fields,
                        const SourceLocation& loc, Format format) {
  std::string source = std::string(basename(loc.file_name())) + ":" + std::to_string(loc.line());
  std::string out;
  out.reserve(128);
  auto append = format == Format::kJson ? append_json : append_logfmt;
  if (format == Format::kJson) out += '{';
  append(out, "time", timestamp());
  append(out, "level", level_name(level));
  append(out, "source", source);
  append(out, "msg", msg);
  for (const auto& f : fields) append(out, f.key, f.value);
  if (format == Format::kJson) out += '}';
  out += '\n';
  return out;
}

void Logger::write(Level level, std::string_view msg, std::initializer_list<Field> f,
                   const SourceLocation& loc) const {
  if (!enabled(level)) return;
  std::optional<uint64_t> repeats = 0;
  if (level >= Level::kWarn) repeats = admit(repeat_key(loc, msg, base_, f));
  if (!repeats) return;
  std::vector<Field> all = base_;
  all.insert(all.end(), f.begin(), f.end());
  if (*repeats > 0) all.emplace_back("suppressed", *repeats);
  std::string line = format_line(level, msg, all, loc, static_cast<Format>(g_format.load()));
  // One write per line keeps concurrent lines whole (stderr is unbuffered).
  const char* p = line.data();
  size_t left = line.size();
  int fd = g_fd.load();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace ceems::log
