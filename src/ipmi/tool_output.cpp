#include "ipmi/tool_output.h"

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/strings.h"

namespace ceems::ipmi {
namespace {

// Longest piece of tool output quoted in an error: enough to recognise the tool's
// complaint, bounded so a runaway tool cannot flood the log.
constexpr size_t kQuotedOutputMax = 2048;

// The reference's `\s`: space, tab, CR, LF, FF (vertical tab is not included).
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

// A cursor over one line. Every match_* call advances only on success, so a failed
// alternative leaves the position for the next one (the regex's alternation).
class LineCursor {
 public:
  explicit LineCursor(std::string_view line) : line_(line) {}

  void skip_spaces() {
    while (pos_ < line_.size() && is_space(line_[pos_])) ++pos_;
  }
  bool match(std::string_view literal) {
    if (line_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }
  bool match_space() {
    if (pos_ >= line_.size() || !is_space(line_[pos_])) return false;
    ++pos_;
    return true;
  }
  template <size_t N>
  bool match_any(const std::array<std::string_view, N>& alternatives) {
    for (std::string_view alt : alternatives) {
      if (match(alt)) return true;
    }
    return false;
  }
  // `\s*:\s*`
  bool match_colon() {
    size_t saved = pos_;
    skip_spaces();
    if (!match(":")) {
      pos_ = saved;
      return false;
    }
    skip_spaces();
    return true;
  }
  std::string_view take_number_chars() {
    size_t start = pos_;
    while (pos_ < line_.size() && ((line_[pos_] >= '0' && line_[pos_] <= '9') || line_[pos_] == '.')) ++pos_;
    return line_.substr(start, pos_ - start);
  }
  size_t pos() const { return pos_; }
  void reset(size_t pos) { pos_ = pos; }

 private:
  std::string_view line_;
  size_t pos_ = 0;
};

constexpr std::array<std::string_view, 2> kStateLabels = {"Power Measurement", "Power reading state is"};

constexpr std::array<std::string_view, 2> kCurrentLabels = {"Current Power", "Instantaneous power reading"};
constexpr std::array<std::string_view, 3> kMinLabels = {"Minimum Power over sampling duration",
                                                        "Minimum during sampling period",
                                                        "Min Power over sample duration"};
constexpr std::array<std::string_view, 3> kMaxLabels = {"Maximum Power over sampling duration",
                                                        "Maximum during sampling period",
                                                        "Max Power over sample duration"};
constexpr std::array<std::string_view, 3> kAvgLabels = {"Average Power over sampling duration",
                                                        "Average power reading over sample period",
                                                        "Avg Power over sample duration"};

// `(WORD1|WORD2)` where a space inside a word stands for one `\s`.
bool match_words(LineCursor& c, std::string_view first, std::string_view second) {
  size_t saved = c.pos();
  if (c.match(first) && c.match_space() && c.match(second)) return true;
  c.reset(saved);
  return false;
}

// `^\s*(Power Measurement|Power reading state is)\s*:\s*(STATE)`; returns the captured
// state word, or nullopt when the line does not match.
std::optional<std::string_view> match_state_line(std::string_view line) {
  LineCursor c(line);
  c.skip_spaces();
  if (!c.match_any(kStateLabels) || !c.match_colon()) return std::nullopt;
  size_t start = c.pos();
  // Alternatives in the reference's order; the first that matches here is captured.
  if (c.match("Active") || c.match("active") || match_words(c, "Not", "Available") ||
      match_words(c, "not", "active") || c.match("activated") || c.match("deactivated")) {
    return line.substr(start, c.pos() - start);
  }
  return std::nullopt;
}

// `^\s*(<labels>)\s*:\s*([0-9.]*)\s*[wW]atts`; returns the captured number text
// (possibly empty), or nullopt when the line does not match.
template <size_t N>
std::optional<std::string_view> match_reading_line(std::string_view line,
                                                   const std::array<std::string_view, N>& labels) {
  LineCursor c(line);
  c.skip_spaces();
  if (!c.match_any(labels) || !c.match_colon()) return std::nullopt;
  std::string_view number = c.take_number_chars();
  c.skip_spaces();
  if (!(c.match("W") || c.match("w")) || !c.match("atts")) return std::nullopt;
  return number;
}

// The reference converts with a plain decimal float parse; the captured text only
// holds digits and dots, so anything from_chars rejects ("", ".", "1.2.3") or that
// overflows a double is dropped, as the reference drops a failed conversion.
std::optional<double> to_watts(std::string_view number) {
  if (number.empty()) return std::nullopt;
  auto v = parse_double(number);
  if (!v || !std::isfinite(*v)) return std::nullopt;
  return v;
}

template <size_t N>
void find_reading(const std::vector<std::string_view>& lines, const std::array<std::string_view, N>& labels,
                  std::optional<double>& out) {
  for (std::string_view line : lines) {
    if (auto number = match_reading_line(line, labels)) {
      // First matching line wins, even when its number does not convert.
      out = to_watts(*number);
      return;
    }
  }
}

}  // namespace

Result<PowerReadings> parse_tool_output(std::string_view output) {
  std::vector<std::string_view> lines = split(output, '\n');
  std::optional<std::string_view> state;
  for (std::string_view line : lines) {
    state = match_state_line(line);
    if (state) break;
  }
  if (!state) {
    return invalid("could not find value in output: " + quote_for_error(output, kQuotedOutputMax));
  }
  if (*state != "active" && *state != "Active" && *state != "activated") {
    return Error(ErrorKind::kNoData, "IPMI Power readings not Active");
  }
  PowerReadings r;
  find_reading(lines, kCurrentLabels, r.current);
  find_reading(lines, kMinLabels, r.min);
  find_reading(lines, kMaxLabels, r.max);
  find_reading(lines, kAvgLabels, r.avg);
  return r;
}

Result<PowerReadings> parse_capmc_output(std::string_view output) {
  nlohmann::json doc = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !(doc.is_object() || doc.is_null())) {
    return invalid("capmc Power readings command failed");
  }
  PowerReadings r;
  // A literal `null` decodes to an empty map in the reference: no readings, no error.
  if (doc.is_null()) return r;

  auto e = doc.find("e");
  auto err_msg = doc.find("err_msg");
  if (e != doc.end() && e->is_number() && e->get<double>() != 0 && err_msg != doc.end() &&
      err_msg->is_string()) {
    return Error(ErrorKind::kNoData, "capmc Power readings not Active: " + err_msg->get<std::string>());
  }
  auto number = [&](const char* key, std::optional<double>& out) {
    auto it = doc.find(key);
    if (it != doc.end() && it->is_number()) out = it->get<double>();
  };
  number("current", r.current);
  number("min", r.min);
  number("max", r.max);
  number("avg", r.avg);
  // capmc reports no instantaneous value; the window average stands in for it.
  if (r.avg && *r.avg > 0) r.current = r.avg;
  return r;
}

bool is_capmc_program(std::string_view program) {
  while (program.size() > 1 && program.back() == '/') program.remove_suffix(1);
  size_t slash = program.rfind('/');
  std::string_view base = slash == std::string_view::npos ? program : program.substr(slash + 1);
  return base == "capmc";
}

Result<PowerReadings> parse_power_output(std::string_view program, std::string_view output) {
  return is_capmc_program(program) ? parse_capmc_output(output) : parse_tool_output(output);
}

}  // namespace ceems::ipmi
