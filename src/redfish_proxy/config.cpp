#include "redfish_proxy/config.h"

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <set>

#include "core/filesystem.h"
#include "core/strings.h"
#include "core/yaml.h"
#include "redfish_proxy/networks.h"
#include "redfish_proxy/url.h"

namespace ceems::redfish_proxy {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

class Parser {
 public:
  explicit Parser(const std::string& source) : source_(source) {}

  Error error(const std::string& path, const YAML::Node& node, const std::string& msg) const {
    std::string m = source_ + ": " + path + ": " + msg;
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) m += " (line " + std::to_string(mark.line + 1) + ")";
    return invalid(m);
  }

  // Calls fn(key, value, key_path) for every entry of a mapping (a null node is an empty
  // one). The reference ignores unknown keys, so a misspelt `insecure_skip_verfy` was
  // silently the default; here unknown, duplicate and non-string keys are errors.
  template <typename Fn>
  Status mapping(const YAML::Node& node, const std::string& path,
                 std::initializer_list<std::string_view> keys, Fn&& fn) const {
    if (!node.IsDefined() || node.IsNull()) return Status::Ok();
    const std::string shown = path == kTopLevel ? std::string("(top level)") : path;
    if (!node.IsMap()) return error(shown, node, "expected a mapping");
    std::set<std::string, std::less<>> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) return error(shown, kv.first, "mapping keys must be strings");
      const std::string& key = kv.first.Scalar();
      const std::string key_path = path == kTopLevel ? key : path + "." + key;
      bool known = false;
      for (auto k : keys) known = known || k == key;
      if (!known) {
        std::string valid;
        for (auto k : keys) valid += (valid.empty() ? "" : ", ") + std::string(k);
        std::string msg = "unknown key " + quote_for_error(key) + " (valid: " + valid + ")";
        if (path == kTopLevel && key == "redfish_web_config") {
          msg += "; redfish_web_config is the top-level key of the exporter's redfish collector config";
        }
        return error(shown, kv.first, msg);
      }
      if (!seen.insert(key).second) return error(key_path, kv.first, "mapping key defined more than once");
      if (auto st = fn(key, kv.second, key_path); !st) return st;
    }
    return Status::Ok();
  }

  Result<bool> boolean(const YAML::Node& node, const std::string& path) const {
    if (!node.IsDefined() || node.IsNull()) return false;
    bool b = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, b)) {
      return error(
          path, node,
          "expected a boolean, got " + (node.IsScalar() ? quote_for_error(node.Scalar()) : "a collection"));
    }
    return b;
  }

  Result<std::string> string(const YAML::Node& node, const std::string& path) const {
    if (!node.IsDefined() || node.IsNull()) return std::string();
    if (!node.IsScalar()) return error(path, node, "expected a string");
    return node.Scalar();
  }

  Result<std::vector<std::string>> strings(const YAML::Node& node, const std::string& path) const {
    std::vector<std::string> out;
    if (!node.IsDefined() || node.IsNull()) return out;
    if (!node.IsSequence()) return error(path, node, "expected a list of strings");
    size_t i = 0;
    for (const auto& item : node) {
      auto s = string(item, path + "[" + std::to_string(i++) + "]");
      if (!s) return s.error();
      out.push_back(std::move(*s));
    }
    return out;
  }

  // A list of addresses, networks or host names, each checked here so that a typo
  // stops start-up with its line.
  Result<std::vector<std::string>> networks(const YAML::Node& node, const std::string& path) const {
    auto list = strings(node, path);
    if (!list) return list.error();
    size_t i = 0;
    for (const auto& entry : *list) {
      if (auto e = parse_network_entry(entry); !e) {
        return error(path + "[" + std::to_string(i) + "]", node, e.error().message());
      }
      ++i;
    }
    return list;
  }

  Status targets(const YAML::Node& node, const std::string& path, ProxyConfig& cfg) const {
    if (!node.IsDefined() || node.IsNull()) return Status::Ok();
    if (!node.IsSequence()) return error(path, node, "expected a list of targets");
    size_t i = 0;
    for (const auto& item : node) {
      const std::string item_path = path + "[" + std::to_string(i++) + "]";
      if (!item.IsNull() && !item.IsMap()) return error(item_path, item, "expected a mapping");
      TargetConfig t;
      std::optional<YAML::Node> url_node;
      auto st =
          mapping(item, item_path, {"host_ip_addrs", "url"},
                  [&](const std::string& key, const YAML::Node& v, const std::string& key_path) -> Status {
                    if (key == "url") {
                      url_node = v;
                      auto url = string(v, key_path);
                      if (!url) return url.error();
                      t.url = std::move(*url);
                      return Status::Ok();
                    }
                    auto ips = strings(v, key_path);
                    if (!ips) return ips.error();
                    t.host_ip_addrs = std::move(*ips);
                    return Status::Ok();
                  });
      if (!st) return st;
      // The reference's message, plus why, so that an operator sees what to fix.
      if (auto target = make_target(t.url); !target) {
        return error(item_path + ".url", url_node ? *url_node : YAML::Node(item),
                     "invalid url string: " + redact_url(t.url) + " (" + target.error().message() + ")");
      }
      cfg.targets.push_back(std::move(t));
    }
    return Status::Ok();
  }

  Status web(const YAML::Node& node, ProxyConfig& cfg) const {
    return mapping(node, "redfish_config.web", {"insecure_skip_verify", "trusted_proxies", "allowed_hosts"},
                   [&](const std::string& key, const YAML::Node& v, const std::string& key_path) -> Status {
                     if (key == "insecure_skip_verify") {
                       auto b = boolean(v, key_path);
                       if (!b) return b.error();
                       cfg.insecure_skip_verify = *b;
                     } else if (key == "trusted_proxies") {
                       if (v.IsNull()) return Status::Ok();  // unset: loopback only
                       auto list = networks(v, key_path);
                       if (!list) return list.error();
                       cfg.trusted_proxies = std::move(*list);
                     } else {
                       auto list = networks(v, key_path);
                       if (!list) return list.error();
                       cfg.allowed_hosts = std::move(*list);
                     }
                     return Status::Ok();
                   });
  }

  static constexpr const char* kTopLevel = "";  // path of the document's root mapping

 private:
  const std::string& source_;
};

}  // namespace

Result<ProxyConfig> parse_proxy_config(std::string_view yaml, const std::string& source) {
  auto loaded = load_yaml(yaml, source);
  if (!loaded) return loaded.error();
  YAML::Node root = *loaded;

  ProxyConfig cfg;
  Parser p(source);
  try {
    // The file is optional; one that is given but empty is a deployment mistake
    // (truncated copy, wrong file) rather than a wish for the defaults.
    if (!root.IsDefined() || root.IsNull()) {
      return invalid(source + ": the file is empty; expected a redfish_config section");
    }
    if (!root.IsMap()) return p.error("(top level)", root, "expected a mapping");
    std::optional<YAML::Node> rc;
    auto st = p.mapping(root, Parser::kTopLevel, {"redfish_config"},
                        [&](const std::string&, const YAML::Node& v, const std::string&) -> Status {
                          rc = v;
                          return Status::Ok();
                        });
    if (!st) return st.error();
    if (!rc) return p.error("(top level)", root, "no redfish_config section");
    YAML::Node web(YAML::NodeType::Null), targets(YAML::NodeType::Null);
    st = p.mapping(*rc, "redfish_config", {"web", "targets"},
                   [&](const std::string& key, const YAML::Node& v, const std::string&) -> Status {
                     (key == "web" ? web : targets).reset(v);
                     return Status::Ok();
                   });
    if (!st) return st.error();
    if (st = p.web(web, cfg); !st) return st.error();
    if (st = p.targets(targets, "redfish_config.targets", cfg); !st) return st.error();
  } catch (const YAML::Exception& e) {
    // Aliases and odd node shapes can still make yaml-cpp throw while walking.
    return invalid(source + ": invalid YAML: " + e.msg);
  }
  return cfg;
}

Result<ProxyConfig> load_proxy_config(const std::string& path) {
  auto text = real_filesystem().read_file(path, kMaxConfigBytes + 1);
  if (!text) return text.error().wrap("couldn't read Redfish proxy config file " + path);
  if (text->size() > kMaxConfigBytes) {
    return invalid("Redfish proxy config file " + path + " is larger than " +
                   std::to_string(kMaxConfigBytes) + " bytes");
  }
  return parse_proxy_config(*text, path);
}

}  // namespace ceems::redfish_proxy
