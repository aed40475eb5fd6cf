// Command-line flags with the semantics of kingpin v2 (what the Go exporter uses):
// long flags only plus -h; `--name value` and `--name=value`; booleans as --name /
// --no-name; repeatable list flags; a non-list flag given twice is an error; enum
// flags reject values outside their set; `@file` expands to the arguments in file;
// hidden flags are accepted but not listed in --help; deprecated aliases feed the
// flag they stand for.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ceems {

enum class FlagKind { kBool, kString, kInt, kEnum, kStringList, kEnumList };

struct FlagSpec {
  std::string name;  // without the leading "--"
  FlagKind kind = FlagKind::kString;
  std::string help;
  std::vector<std::string> defaults;  // textual; one entry except for lists
  std::vector<std::string> choices;   // enum flags
  std::string env;                    // environment variable giving the default
  std::string placeholder;            // shown in --help instead of the default
  bool hidden = false;
  std::string alias_of;  // deprecated alias: the flag it stands for
};

struct ParseOutcome {
  bool help = false;
  bool help_long = false;  // kingpin's --help-long: the same flag list (no subcommands)
  bool help_man = false;   // kingpin's --help-man: a man page in roff
  bool version = false;
  std::vector<std::string> deprecated_used;  // aliases given on the command line
};

class FlagSet {
 public:
  explicit FlagSet(std::string program, std::string description = {})
      : program_(std::move(program)), description_(std::move(description)) {}

  // Registration. Throws std::logic_error on a duplicate name (a programming error).
  void add(FlagSpec spec);
  void add_bool(std::string name, std::string help, bool def = false, bool hidden = false);
  void add_string(std::string name, std::string help, std::string def = {}, bool hidden = false);
  void add_int(std::string name, std::string help, int64_t def, bool hidden = false);
  bool has(std::string_view name) const { return flags_.count(std::string(name)) != 0; }

  // Parses argv[1..]. Errors name the flag and the value.
  Result<ParseOutcome> parse(const std::vector<std::string>& args);

  // Typed access after parsing. Asking for an unregistered flag throws std::logic_error.
  bool get_bool(std::string_view name) const;
  std::string get_string(std::string_view name) const;
  int64_t get_int(std::string_view name) const;
  std::vector<std::string> get_list(std::string_view name) const;
  // True when the flag (or one of its aliases) was given on the command line.
  bool explicitly_set(std::string_view name) const;
  // Overrides a value after parsing (used by --collector.disable-defaults).
  void set_bool(std::string_view name, bool v);

  // Every registered flag, aliases and hidden ones included, sorted.
  std::vector<std::string> names() const;

  std::string usage() const;
  // A man(7) page: NAME, SYNOPSIS, DESCRIPTION and one OPTIONS entry per listed flag.
  std::string man_page(std::string_view version) const;

 private:
  struct State {
    FlagSpec spec;
    std::vector<std::string> values;
    bool set = false;
  };
  const State& state(std::string_view name) const;
  // (left column, help) of every listed flag, in --help's order.
  std::vector<std::pair<std::string, std::string>> help_rows() const;
  Status assign(State& st, const std::string& shown_name, const std::string& value);

  std::string program_;
  std::string description_;
  std::map<std::string, State, std::less<>> flags_;
  std::vector<std::string> order_;
};

}  // namespace ceems
