// Structured logging to stderr in logfmt or JSON, one write(2) per line so that lines
// from concurrent collectors never interleave. Never pass secrets as field values.
#pragma once

#include <chrono>
#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.h"

namespace ceems::log {

// Call site of a log line. std::source_location is missing from libstdc++ 12 under
// clang 14 (used for the fuzz build), so the compiler builtins both support are used.
struct SourceLocation {
  static constexpr SourceLocation current(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    return {file, line};
  }
  const char* file_name() const { return file; }
  int line() const { return line_number; }
  const char* file = "";
  int line_number = 0;
};

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kLogfmt, kJson };

struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v != nullptr ? v : "") {}
  Field(std::string_view k, const Error& e) : key(k), value(e.message()) {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <typename T>
  requires std::is_arithmetic_v<T> Field(std::string_view k, T v) : key(k), value(std::to_string(v)) {}

  std::string key;
  std::string value;
};

void configure(Level level, Format format);
bool enabled(Level level);
// Where log lines go (default: stderr). For tests.
void set_output_fd(int fd);

// Repeated WARN and ERROR lines are rate-limited per source, so that a broken host
// file read every scrape cannot flood the journal. A source is one call site with one
// logger context and the same values of every field but "err", "error" and
// "duration_seconds" (which vary between repeats). Its first line is written, the repeats within the window
// are only counted, and the first repeat after the window is written with suppressed=<count>. DEBUG and INFO
// lines are never limited. A window of zero turns the limit off.
void set_repeat_window(std::chrono::milliseconds window);
inline constexpr std::chrono::minutes kDefaultRepeatWindow{5};
// Forgets every source seen so far (tests capturing log lines start clean).
void reset_repeats();

Result<Level> parse_level(std::string_view s);
Result<Format> parse_format(std::string_view s);

// Formats one line without writing it; exposed for tests.
std::string format_line(Level level, std::string_view msg, const std::vector<Field>& fields,
                        const SourceLocation& loc, Format format);

class Logger {
 public:
  Logger() = default;
  Logger(std::string_view key, std::string_view value) { base_.emplace_back(key, value); }

  Logger with(std::string_view key, std::string_view value) const {
    Logger l = *this;
    l.base_.emplace_back(key, value);
    return l;
  }

  void debug(std::string_view msg, std::initializer_list<Field> f = {},
             SourceLocation loc = SourceLocation::current()) const {
    write(Level::kDebug, msg, f, loc);
  }
  void info(std::string_view msg, std::initializer_list<Field> f = {},
            SourceLocation loc = SourceLocation::current()) const {
    write(Level::kInfo, msg, f, loc);
  }
  void warn(std::string_view msg, std::initializer_list<Field> f = {},
            SourceLocation loc = SourceLocation::current()) const {
    write(Level::kWarn, msg, f, loc);
  }
  void error(std::string_view msg, std::initializer_list<Field> f = {},
             SourceLocation loc = SourceLocation::current()) const {
    write(Level::kError, msg, f, loc);
  }
  void write(Level level, std::string_view msg, std::initializer_list<Field> f,
             const SourceLocation& loc) const;

 private:
  std::vector<Field> base_;
};

}  // namespace ceems::log
