#include "redfish_proxy/config.h"

#include <yaml-cpp/yaml.h>

#include <optional>

#include "core/filesystem.h"
#include "core/yaml.h"
#include "redfish_proxy/networks.h"
#include "redfish_proxy/url.h"

namespace ceems::redfish_proxy {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

// A list of addresses, networks or host names, each checked here so that a typo stops
// start-up with its line.
Result<std::vector<std::string>> networks(const YamlWalker& w, const YamlEntry& e) {
  auto list = w.string_list(e.value, e.path);
  if (!list) return list.error();
  for (size_t i = 0; i < list->size(); ++i) {
    if (auto entry = parse_network_entry((*list)[i]); !entry) {
      return w.error(e.path + "[" + std::to_string(i) + "]", e.value[i], entry.error().message());
    }
  }
  return list;
}

Status read_web(const YamlWalker& w, const YamlEntry& web, ProxyConfig& cfg) {
  return w.read_mapping(web.value, web.path,
                        {
                            {"insecure_skip_verify", w.into(cfg.insecure_skip_verify)},
                            {"trusted_proxies",
                             [&](const YamlEntry& e) -> Status {
                               if (e.value.IsNull()) return Status::Ok();  // unset: loopback only
                               auto list = networks(w, e);
                               if (!list) return list.error();
                               cfg.trusted_proxies = std::move(*list);
                               return Status::Ok();
                             }},
                            {"allowed_hosts",
                             [&](const YamlEntry& e) -> Status {
                               auto list = networks(w, e);
                               if (!list) return list.error();
                               cfg.allowed_hosts = std::move(*list);
                               return Status::Ok();
                             }},
                        });
}

Status read_targets(const YamlWalker& w, const YamlEntry& targets, ProxyConfig& cfg) {
  const YAML::Node& node = targets.value;
  if (node.IsNull()) return Status::Ok();
  if (!node.IsSequence()) {
    return w.error(targets.path, node, "expected a list of targets, got " + yaml_node_kind(node));
  }
  size_t i = 0;
  for (const auto& item : node) {
    const std::string item_path = targets.path + "[" + std::to_string(i++) + "]";
    TargetConfig t;
    YAML::Node url_node = item;
    auto st = w.read_mapping(item, item_path,
                             {
                                 {"host_ip_addrs", w.into(t.host_ip_addrs)},
                                 {"url",
                                  [&](const YamlEntry& e) -> Status {
                                    url_node.reset(e.value);
                                    return w.into(t.url)(e);
                                  }},
                             });
    if (!st) return st;
    // The reference's message, plus why, so that an operator sees what to fix.
    if (auto target = make_target(t.url); !target) {
      return w.error(item_path + ".url", url_node,
                     "invalid url string: " + redact_url(t.url) + " (" + target.error().message() + ")");
    }
    cfg.targets.push_back(std::move(t));
  }
  return Status::Ok();
}

}  // namespace

Result<ProxyConfig> parse_proxy_config(std::string_view yaml, const std::string& source) {
  auto loaded = load_yaml(yaml, source);
  if (!loaded) return loaded.error();
  const YAML::Node root = *loaded;
  // The file is optional; one that is given but empty is a deployment mistake
  // (truncated copy, wrong file) rather than a wish for the defaults.
  if (!root.IsDefined() || root.IsNull()) {
    return invalid(source + ": the file is empty; expected a redfish_config section");
  }

  // The reference ignores unknown keys, so a misspelt `insecure_skip_verfy` was silently
  // the default; here they are errors.
  const YamlWalker w(source);
  ProxyConfig cfg;
  try {
    std::optional<YamlEntry> section;
    const std::vector<YamlKey> top = {{"redfish_config", YamlWalker::into(section)}};
    auto st = w.read_mapping(root, "", top, [&](const YamlEntry& e) -> Status {
      return w.unknown_key(
          e, top,
          e.key == "redfish_web_config"
              ? "redfish_web_config is the top-level key of the exporter's redfish collector config"
              : "");
    });
    if (!st) return st.error();
    if (!section) return w.error("", root, "no redfish_config section");
    std::optional<YamlEntry> web, targets;
    st = w.read_mapping(section->value, section->path,
                        {{"web", YamlWalker::into(web)}, {"targets", YamlWalker::into(targets)}});
    if (!st) return st.error();
    if (web && !(st = read_web(w, *web, cfg))) return st.error();
    if (targets && !(st = read_targets(w, *targets, cfg))) return st.error();
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
