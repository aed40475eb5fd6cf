// Loading YAML configuration text, and walking its mappings strictly: an unknown, a
// repeated or a non-string key is an error naming the source, the key path and the
// line, so that a typo stops start-up instead of silently leaving a default in place.
// Separate from ceems_core so only what parses YAML links yaml-cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ceems {

// yaml-cpp's messages carry a position and a description, never the text itself, so
// a secret in the file cannot leak through the error.
Result<YAML::Node> load_yaml(std::string_view text, const std::string& source);

// "a mapping", "a sequence", "a scalar", "null" or "nothing", for "got ..." in errors:
// unlike the value itself, the shape never carries a secret.
std::string yaml_node_kind(const YAML::Node& node);

// One entry of a mapping, as the walker hands it over.
struct YamlEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  std::string mapping;  // path of the mapping holding it ("" at the top level)
  std::string path;     // its own path: "<mapping>.<key>", or the key at the top level
};

using YamlEntryFn = std::function<Status(const YamlEntry&)>;

// A key a mapping may hold and what to make of its value.
struct YamlKey {
  std::string_view name;
  YamlEntryFn read;
};

// The configuration files had worded their errors differently before they shared this
// walker, and operators' notes and the tests quote those words; what cannot be the same
// for all of them is chosen here.
struct YamlErrorStyle {
  enum class Layout {
    // "<source>: <path>: <message> (line N)"; the top level's path reads "(top level)",
    // an unknown key reads `unknown key "k" (valid: a, b)`.
    kPathFirst,
    // "<source>: line N, column M: key <path>: <message>", nothing for the top level.
    // An unknown key has no path in front (it is not a key of the file's format), so
    // the message names the mapping: `unknown key "k" in <mapping> (valid keys: a, b)`.
    kPositionFirst,
  };
  Layout layout = Layout::kPathFirst;
  // Said of a key that appears twice in one mapping (at that key's path).
  std::string_view duplicate_key = "mapping key defined more than once";
  // kPathFirst: an unknown key is shown at its own path ("<mapping>.<key>") rather than
  // at its mapping's.
  bool unknown_key_at_key_path = false;
};

class YamlWalker {
 public:
  // source starts every error, usually the file name.
  explicit YamlWalker(std::string source, YamlErrorStyle style = {});

  const std::string& source() const { return source_; }

  // "line N" (kPathFirst) or "line N, column M" (kPositionFirst); empty when node has no
  // position.
  std::string position(const YAML::Node& node) const;
  Error error(const std::string& path, const YAML::Node& node, const std::string& msg) const;

  // Calls fn for every entry of a mapping, in file order, after rejecting a non-string
  // or repeated key. An absent or null node is an empty mapping.
  Status for_each_entry(const YAML::Node& node, const std::string& path, const YamlEntryFn& fn) const;

  // for_each_entry that passes each entry to the read of its key in keys. Any other key
  // is an error (unknown_key), unless on_unknown is given: it then decides.
  Status read_mapping(const YAML::Node& node, const std::string& path, const std::vector<YamlKey>& keys,
                      const YamlEntryFn& on_unknown = nullptr) const;
  // The error for an entry whose key is not in keys; note, when given, follows "; ".
  Error unknown_key(const YamlEntry& entry, const std::vector<YamlKey>& keys,
                    std::string_view note = {}) const;

  // Readers of values. A null value reads as empty, false or absent. None of the errors
  // of string_value and string_list quote the value, so they suit secrets.
  Result<std::string> string_value(const YAML::Node& node, const std::string& path) const;
  Result<std::vector<std::string>> string_list(const YAML::Node& node, const std::string& path) const;
  // yaml-cpp's boolean words (true/false, yes/no, on/off, y/n in three casings).
  Result<bool> bool_value(const YAML::Node& node, const std::string& path) const;
  // A duration in Go's syntax (core/duration.h), quoted or not.
  Result<std::optional<std::chrono::nanoseconds>> duration_value(const YAML::Node& node,
                                                                 const std::string& path) const;

  // A scalar converted by parse (returning std::optional<T>, nullopt when the text is
  // not `what`); null reads as T{}. The error quotes the text: not for secrets.
  template <typename T, typename Parse>
  Result<T> scalar_value(const YAML::Node& node, const std::string& path, std::string_view what,
                         Parse&& parse) const {
    if (!node.IsDefined() || node.IsNull()) return T{};
    std::optional<T> v;
    if (node.IsScalar()) v = parse(node);
    if (!v) return mismatch(path, node, what);
    return *std::move(v);
  }

  // Table entries that read the value into out (out must outlive the walk).
  YamlEntryFn into(std::string& out) const;
  YamlEntryFn into(std::vector<std::string>& out) const;
  YamlEntryFn into(bool& out) const;
  // Keeps the entry, to be read once every key of its mapping has been checked: a
  // misspelt key then is the error shown, not some consequence of it.
  static YamlEntryFn into(std::optional<YamlEntry>& out);

 private:
  // "expected <what>, got <shape>", or the quoted text for a scalar.
  Error mismatch(const std::string& path, const YAML::Node& node, std::string_view what) const;

  std::string source_;
  YamlErrorStyle style_;
};

}  // namespace ceems
