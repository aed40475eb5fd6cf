#include "dns/nsswitch.h"

#include <algorithm>
#include <optional>

#include "core/go/text.h"
#include "core/strings.h"

namespace ceems::dns {

std::vector<HostSource> parse_nsswitch_hosts(std::string_view text) {
  std::optional<std::vector<HostSource>> last;
  go::for_each_line(text, [&](std::string_view line) {
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != "hosts") return;
    std::vector<HostSource> sources;
    bool in_action = false;
    for (std::string_view word : fields(line.substr(colon + 1))) {
      // "[NOTFOUND=return]" may be written with spaces inside the brackets.
      if (in_action || word.starts_with('[')) {
        in_action = word.find(']') == std::string_view::npos;
        continue;
      }
      std::optional<HostSource> source;
      if (word == "files") source = HostSource::kFiles;
      if (word == "dns") source = HostSource::kDns;
      if (source && std::find(sources.begin(), sources.end(), *source) == sources.end()) {
        sources.push_back(*source);
      }
    }
    last = std::move(sources);
  });
  if (!last || last->empty()) return {HostSource::kFiles, HostSource::kDns};
  return *last;
}

}  // namespace ceems::dns
