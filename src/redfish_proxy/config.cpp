#include "redfish_proxy/config.h"

#include <yaml-cpp/yaml.h>

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

  // A null or absent node reads as an empty mapping; unknown keys are skipped because
  // the reference ignores them.
  Result<YAML::Node> child(const YAML::Node& node, const std::string& path, const char* key) const {
    if (!node.IsDefined() || node.IsNull()) return YAML::Node();
    if (!node.IsMap()) return error(path, node, "expected a mapping");
    return node[key];
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
      TargetConfig t;
      auto ips_node = child(item, item_path, "host_ip_addrs");
      if (!ips_node) return ips_node.error();
      auto ips = strings(*ips_node, item_path + ".host_ip_addrs");
      if (!ips) return ips.error();
      t.host_ip_addrs = std::move(*ips);
      auto url_node = child(item, item_path, "url");
      if (!url_node) return url_node.error();
      auto url = string(*url_node, item_path + ".url");
      if (!url) return url.error();
      // The reference's message, plus why, so that an operator sees what to fix.
      if (auto target = make_target(*url); !target) {
        return error(item_path + ".url", url_node->IsDefined() ? *url_node : YAML::Node(item),
                     "invalid url string: " + redact_url(*url) + " (" + target.error().message() + ")");
      }
      t.url = std::move(*url);
      cfg.targets.push_back(std::move(t));
    }
    return Status::Ok();
  }

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
    if (!root.IsDefined() || root.IsNull()) return cfg;
    if (!root.IsMap()) return p.error("(top level)", root, "expected a mapping");
    auto rc = p.child(root, "(top level)", "redfish_config");
    if (!rc) return rc.error();
    auto web = p.child(*rc, "redfish_config", "web");
    if (!web) return web.error();
    auto skip = p.child(*web, "redfish_config.web", "insecure_skip_verify");
    if (!skip) return skip.error();
    auto skip_value = p.boolean(*skip, "redfish_config.web.insecure_skip_verify");
    if (!skip_value) return skip_value.error();
    cfg.insecure_skip_verify = *skip_value;
    auto trusted = p.child(*web, "redfish_config.web", "trusted_proxies");
    if (!trusted) return trusted.error();
    if (trusted->IsDefined() && !trusted->IsNull()) {
      auto list = p.networks(*trusted, "redfish_config.web.trusted_proxies");
      if (!list) return list.error();
      cfg.trusted_proxies = std::move(*list);
    }
    auto allowed = p.child(*web, "redfish_config.web", "allowed_hosts");
    if (!allowed) return allowed.error();
    auto allowed_list = p.networks(*allowed, "redfish_config.web.allowed_hosts");
    if (!allowed_list) return allowed_list.error();
    cfg.allowed_hosts = std::move(*allowed_list);
    auto targets = p.child(*rc, "redfish_config", "targets");
    if (!targets) return targets.error();
    if (auto st = p.targets(*targets, "redfish_config.targets", cfg); !st) return st.error();
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
