#include "core/yaml.h"

#include <set>

#include "core/duration.h"
#include "core/strings.h"

namespace ceems {

Result<YAML::Node> load_yaml(std::string_view text, const std::string& source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    std::string msg = source + ": invalid YAML";
    if (!e.mark.is_null()) {
      msg += " at line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1);
    }
    return invalid(msg + ": " + e.msg);
  }
}

std::string yaml_node_kind(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

YamlWalker::YamlWalker(std::string source, YamlErrorStyle style)
    : source_(std::move(source)), style_(style) {}

std::string YamlWalker::position(const YAML::Node& node) const {
  // A node looked up under a missing key has no mark and throws when asked for one.
  if (!node.IsDefined()) return {};
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {};
  std::string out = "line " + std::to_string(mark.line + 1);
  if (style_.layout == YamlErrorStyle::Layout::kPositionFirst) {
    out += ", column " + std::to_string(mark.column + 1);
  }
  return out;
}

Error YamlWalker::error(const std::string& path, const YAML::Node& node, const std::string& msg) const {
  const std::string where = position(node);
  std::string out = source_ + ": ";
  if (style_.layout == YamlErrorStyle::Layout::kPositionFirst) {
    if (!where.empty()) out += where + ": ";
    if (!path.empty()) out += "key " + path + ": ";
    return invalid(out + msg);
  }
  out += (path.empty() ? std::string("(top level)") : path) + ": " + msg;
  if (!where.empty()) out += " (" + where + ")";
  return invalid(out);
}

Status YamlWalker::for_each_entry(const YAML::Node& node, const std::string& path,
                                  const YamlEntryFn& fn) const {
  if (!node.IsDefined() || node.IsNull()) return Status::Ok();
  // The shape only: a scalar where a mapping belongs may be a password out of place.
  if (!node.IsMap()) return error(path, node, "expected a mapping, got " + yaml_node_kind(node));
  std::set<std::string, std::less<>> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return error(path, kv.first, "mapping keys must be strings");
    YamlEntry entry{kv.first.Scalar(), kv.first, kv.second, path, ""};
    entry.path = path.empty() ? entry.key : path + "." + entry.key;
    if (!seen.insert(entry.key).second) return error(entry.path, kv.first, std::string(style_.duplicate_key));
    if (Status st = fn(entry); !st) return st;
  }
  return Status::Ok();
}

Status YamlWalker::read_mapping(const YAML::Node& node, const std::string& path,
                                const std::vector<YamlKey>& keys, const YamlEntryFn& on_unknown) const {
  return for_each_entry(node, path, [&](const YamlEntry& entry) -> Status {
    for (const auto& k : keys) {
      if (k.name == entry.key) return k.read(entry);
    }
    if (on_unknown) return on_unknown(entry);
    return unknown_key(entry, keys);
  });
}

Error YamlWalker::unknown_key(const YamlEntry& entry, const std::vector<YamlKey>& keys,
                              std::string_view note) const {
  std::string valid;
  for (const auto& k : keys) {
    if (!valid.empty()) valid += ", ";
    valid += k.name;
  }
  std::string msg = "unknown key " + quote_for_error(entry.key);
  std::string path;
  if (style_.layout == YamlErrorStyle::Layout::kPositionFirst) {
    if (!entry.mapping.empty()) msg += " in " + entry.mapping;
    msg += " (valid keys: " + valid + ")";
  } else {
    msg += " (valid: " + valid + ")";
    path = style_.unknown_key_at_key_path ? entry.path : entry.mapping;
  }
  if (!note.empty()) msg += "; " + std::string(note);
  return error(path, entry.key_node, msg);
}

Result<std::string> YamlWalker::string_value(const YAML::Node& node, const std::string& path) const {
  if (!node.IsDefined() || node.IsNull()) return std::string();
  // Any scalar is taken as written; the error names the shape, never the value.
  if (!node.IsScalar()) return error(path, node, "expected a string, got " + yaml_node_kind(node));
  return node.Scalar();
}

Result<std::vector<std::string>> YamlWalker::string_list(const YAML::Node& node,
                                                         const std::string& path) const {
  std::vector<std::string> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) return error(path, node, "expected a list of strings, got " + yaml_node_kind(node));
  size_t i = 0;
  for (const auto& item : node) {
    const std::string item_path = path + "[" + std::to_string(i++) + "]";
    if (!item.IsScalar()) return error(item_path, item, "expected a string, got " + yaml_node_kind(item));
    out.push_back(item.Scalar());
  }
  return out;
}

Result<bool> YamlWalker::bool_value(const YAML::Node& node, const std::string& path) const {
  return scalar_value<bool>(node, path, "a boolean", [](const YAML::Node& n) -> std::optional<bool> {
    bool b = false;
    if (!YAML::convert<bool>::decode(n, b)) return std::nullopt;
    return b;
  });
}

Result<std::optional<std::chrono::nanoseconds>> YamlWalker::duration_value(const YAML::Node& node,
                                                                           const std::string& path) const {
  if (!node.IsDefined() || node.IsNull()) return std::optional<std::chrono::nanoseconds>();
  if (!node.IsScalar()) {
    return error(path, node, "expected a duration such as 5s, got " + yaml_node_kind(node));
  }
  auto d = parse_duration(trim(node.Scalar()));
  if (!d) return error(path, node, "expected a duration such as 5s: " + d.error().message());
  return std::optional<std::chrono::nanoseconds>(*d);
}

YamlEntryFn YamlWalker::into(std::string& out) const {
  return [this, &out](const YamlEntry& e) -> Status {
    auto v = string_value(e.value, e.path);
    if (!v) return v.error();
    out = std::move(*v);
    return Status::Ok();
  };
}

YamlEntryFn YamlWalker::into(std::vector<std::string>& out) const {
  return [this, &out](const YamlEntry& e) -> Status {
    auto v = string_list(e.value, e.path);
    if (!v) return v.error();
    out = std::move(*v);
    return Status::Ok();
  };
}

YamlEntryFn YamlWalker::into(bool& out) const {
  return [this, &out](const YamlEntry& e) -> Status {
    auto v = bool_value(e.value, e.path);
    if (!v) return v.error();
    out = *v;
    return Status::Ok();
  };
}

YamlEntryFn YamlWalker::into(std::optional<YamlEntry>& out) {
  return [&out](const YamlEntry& e) -> Status {
    // Constructed afresh: assigning a YAML::Node would rewrite the node it refers to.
    out.emplace(e);
    return Status::Ok();
  };
}

Error YamlWalker::mismatch(const std::string& path, const YAML::Node& node, std::string_view what) const {
  const std::string got = node.IsScalar() ? quote_for_error(node.Scalar()) : yaml_node_kind(node);
  return error(path, node, "expected " + std::string(what) + ", got " + got);
}

}  // namespace ceems
