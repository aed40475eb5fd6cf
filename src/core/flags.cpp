#include "core/flags.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "core/strings.h"

namespace ceems {
namespace {

bool is_list(FlagKind k) { return k == FlagKind::kStringList || k == FlagKind::kEnumList; }
bool is_enum(FlagKind k) { return k == FlagKind::kEnum || k == FlagKind::kEnumList; }

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += sep;
    out += v[i];
  }
  return out;
}

// kingpin's @file expansion: one argument per line, blank lines and # comments skipped.
Result<std::vector<std::string>> expand_args(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    if (a.size() < 2 || a[0] != '@') {
      out.push_back(a);
      continue;
    }
    std::ifstream in(a.substr(1));
    if (!in) return invalid("failed to read arguments file " + quote_for_error(a.substr(1)));
    std::string line;
    while (std::getline(in, line)) {
      auto t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      out.emplace_back(t);
    }
  }
  return out;
}

}  // namespace

void FlagSet::add(FlagSpec spec) {
  if (flags_.count(spec.name) != 0) throw std::logic_error("flag registered twice: " + spec.name);
  if (spec.kind == FlagKind::kBool && spec.defaults.empty()) spec.defaults = {"false"};
  if (!is_list(spec.kind) && spec.defaults.empty()) spec.defaults = {""};
  std::string name = spec.name;
  order_.push_back(name);
  flags_.emplace(name, State{std::move(spec), {}, false});
}

void FlagSet::add_bool(std::string name, std::string help, bool def, bool hidden) {
  add(FlagSpec{.name = std::move(name),
               .kind = FlagKind::kBool,
               .help = std::move(help),
               .defaults = {def ? "true" : "false"},
               .hidden = hidden});
}

void FlagSet::add_string(std::string name, std::string help, std::string def, bool hidden) {
  add(FlagSpec{.name = std::move(name),
               .kind = FlagKind::kString,
               .help = std::move(help),
               .defaults = {std::move(def)},
               .hidden = hidden});
}

void FlagSet::add_int(std::string name, std::string help, int64_t def, bool hidden) {
  add(FlagSpec{.name = std::move(name),
               .kind = FlagKind::kInt,
               .help = std::move(help),
               .defaults = {std::to_string(def)},
               .hidden = hidden});
}

Status FlagSet::assign(State& st, const std::string& shown, const std::string& value) {
  const FlagSpec& s = st.spec;
  if (st.set && !is_list(s.kind)) return invalid("flag '" + shown + "' cannot be repeated");
  if (s.kind == FlagKind::kInt && !parse_i64(value)) {
    return invalid("invalid value " + quote_for_error(value) + " for flag --" + shown + ": not an integer");
  }
  if (is_enum(s.kind) && std::find(s.choices.begin(), s.choices.end(), value) == s.choices.end()) {
    return invalid("enum value must be one of " + join(s.choices, ",") + ", got '" + value + "' for flag --" +
                   shown);
  }
  st.values.push_back(value);
  st.set = true;
  return Status::Ok();
}

Result<ParseOutcome> FlagSet::parse(const std::vector<std::string>& raw_args) {
  ParseOutcome outcome;
  auto expanded = expand_args(raw_args);
  if (!expanded) return expanded.error();
  const auto& args = *expanded;

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      outcome.help = true;
      continue;
    }
    if (arg == "--help-long") {
      outcome.help_long = true;
      continue;
    }
    if (arg == "--help-man") {
      outcome.help_man = true;
      continue;
    }
    if (arg == "--version") {
      outcome.version = true;
      continue;
    }
    if (arg == "--") {
      if (i + 1 < args.size()) return invalid("unexpected " + args[i + 1]);
      break;
    }
    if (!starts_with(arg, "--")) {
      if (starts_with(arg, "-") && arg.size() > 1) return invalid("unknown short flag '" + arg + "'");
      return invalid("unexpected " + arg);
    }
    std::string body = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = body.find('='); eq != std::string::npos) {
      inline_value = body.substr(eq + 1);
      body.resize(eq);
    }

    auto it = flags_.find(body);
    bool negated = false;
    if (it == flags_.end() && starts_with(body, "no-")) {
      auto pos = flags_.find(body.substr(3));
      if (pos != flags_.end() && pos->second.spec.kind == FlagKind::kBool) {
        it = pos;
        negated = true;
      }
    }
    if (it == flags_.end()) return invalid("unknown long flag '--" + body + "'");
    State& st = it->second;

    if (st.spec.kind == FlagKind::kBool) {
      if (inline_value) {
        return invalid("boolean flag --" + body + " does not take a value (got " +
                       quote_for_error(*inline_value) + "); use --" + st.spec.name + " or --no-" +
                       st.spec.name);
      }
      if (auto s = assign(st, st.spec.name, negated ? "false" : "true"); !s) return s.error();
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return invalid("expected argument for flag '--" + body + "'");
    }
    if (auto s = assign(st, body, value); !s) return s.error();
  }

  // Environment defaults, then deprecated aliases feeding their target.
  for (auto& [name, st] : flags_) {
    if (!st.set && !st.spec.env.empty()) {
      if (const char* v = std::getenv(st.spec.env.c_str()); v != nullptr) {
        if (auto s = assign(st, name, v); !s) return s.error().wrap("from environment " + st.spec.env);
        st.set = false;  // an environment default is not an explicit mention
      }
    }
  }
  for (auto& [name, st] : flags_) {
    if (st.spec.alias_of.empty() || !st.set) continue;
    outcome.deprecated_used.push_back(name);
    auto target = flags_.find(st.spec.alias_of);
    if (target == flags_.end()) throw std::logic_error("alias of unknown flag: " + st.spec.alias_of);
    State& t = target->second;
    if (t.spec.kind == FlagKind::kBool) {
      bool v = st.values.back() == "true" || (!t.values.empty() && t.values.back() == "true");
      t.values = {v ? "true" : "false"};
    } else if (is_list(t.spec.kind)) {
      t.values.insert(t.values.end(), st.values.begin(), st.values.end());
    } else if (!t.set) {
      t.values = st.values;
    }
    t.set = true;
  }
  return outcome;
}

const FlagSet::State& FlagSet::state(std::string_view name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) throw std::logic_error("unknown flag queried: " + std::string(name));
  return it->second;
}

bool FlagSet::get_bool(std::string_view name) const {
  const State& st = state(name);
  const auto& v = st.values.empty() ? st.spec.defaults : st.values;
  return !v.empty() && v.back() == "true";
}

std::string FlagSet::get_string(std::string_view name) const {
  const State& st = state(name);
  const auto& v = st.values.empty() ? st.spec.defaults : st.values;
  return v.empty() ? std::string() : v.back();
}

int64_t FlagSet::get_int(std::string_view name) const { return parse_i64(get_string(name)).value_or(0); }

std::vector<std::string> FlagSet::get_list(std::string_view name) const {
  const State& st = state(name);
  return st.values.empty() ? st.spec.defaults : st.values;
}

bool FlagSet::explicitly_set(std::string_view name) const { return state(name).set; }

void FlagSet::set_bool(std::string_view name, bool v) {
  auto it = flags_.find(name);
  if (it == flags_.end()) throw std::logic_error("unknown flag: " + std::string(name));
  it->second.values = {v ? "true" : "false"};
}

std::vector<std::string> FlagSet::names() const {
  std::vector<std::string> out;
  out.reserve(flags_.size());
  for (const auto& [name, st] : flags_) out.push_back(name);
  return out;
}

std::vector<std::pair<std::string, std::string>> FlagSet::help_rows() const {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.emplace_back("-h, --[no-]help", "Show context-sensitive help (also try --help-long and --help-man).");
  std::vector<std::string> names(order_);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    const FlagSpec& s = flags_.at(n).spec;
    if (s.hidden) continue;
    std::string left = "    --";
    if (s.kind == FlagKind::kBool) {
      left += "[no-]" + s.name;
    } else {
      std::string shown = s.placeholder;
      if (shown.empty()) shown = s.defaults.empty() || s.defaults.front().empty() ? "" : s.defaults.front();
      if (shown.empty()) shown = "<" + s.name.substr(s.name.rfind('.') + 1) + ">";
      left += s.name + "=" + shown;
      if (is_list(s.kind)) left += " ...";
    }
    std::string help = s.help;
    if (!s.env.empty()) help += " ($" + s.env + ")";
    rows.emplace_back(left, help);
  }
  rows.emplace_back("    --[no-]version", "Show application version.");
  return rows;
}

std::string FlagSet::usage() const {
  std::string out = "usage: " + program_ + " [<flags>]\n\n";
  if (!description_.empty()) out += description_ + "\n\n";
  out += "Flags:\n";
  const auto rows = help_rows();
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  for (const auto& [l, h] : rows) {
    out += "  " + l + std::string(width - l.size() + 2, ' ');
    // Continuation lines of multi-line help texts line up under the first.
    for (char c : h) {
      out += c;
      if (c == '\n') out += std::string(width + 4, ' ');
    }
    out += '\n';
  }
  return out;
}

namespace {

// Text for a roff body line: backslashes and hyphens escaped, no line starting with
// a control character ('.' or '\'').
std::string roff_text(std::string_view s) {
  std::string out;
  bool line_start = true;
  for (char c : s) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

}  // namespace

std::string FlagSet::man_page(std::string_view version) const {
  std::string out = ".TH " + roff_text(program_) + " 1 \"\" \"" + roff_text(version) + "\"\n";
  // "name \- summary": the form whatis/apropos index.
  out += ".SH \"NAME\"\n" + roff_text(program_) + " \\- " + roff_text(description_) + "\n";
  out += ".SH \"SYNOPSIS\"\n.TP\n\\fB" + roff_text(program_) + " [<flags>]\\fR\n";
  out += ".SH \"DESCRIPTION\"\n" + roff_text(description_) + "\n";
  out += ".SH \"OPTIONS\"\n";
  for (const auto& [left, help] : help_rows()) {
    out += ".TP\n\\fB" + roff_text(trim(left)) + "\\fR\n" + roff_text(help) + "\n";
  }
  return out;
}

}  // namespace ceems
