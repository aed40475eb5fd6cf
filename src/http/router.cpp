#include "http/router.h"

#include <mutex>

namespace ceems::http {
namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::shared_ptr<RouteState> make_route(Handler handler, bool limited) {
  auto r = std::make_shared<RouteState>();
  r->handler = std::move(handler);
  r->limited = limited;
  return r;
}

}  // namespace

std::string render_landing_page(const LandingPage& page) {
  const std::string title = html_escape(page.title);
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"UTF-8\">\n<title>" + title +
      "</title>\n<style>\n"
      "body { font-family: -apple-system, \"Segoe UI\", Roboto, Helvetica, Arial, sans-serif; margin: 0; }\n"
      "header { background-color: #e6522c; color: #fff; font-size: 1rem; padding: 1rem; }\n"
      "main { padding: 1rem; }\n"
      "</style>\n</head>\n<body>\n<header>\n<h1>" +
      title + "</h1>\n</header>\n<main>\n<h2>" + html_escape(page.description) +
      "</h2>\n<div>Version: " + html_escape(page.version) + "</div>\n<div>\n<ul>\n";
  for (const auto& [text, path] : page.links) {
    html += "<li><a href=\"" + html_escape(path) + "\">" + html_escape(text) + "</a></li>\n";
  }
  html += "</ul>\n</div>\n</main>\n</body>\n</html>\n";
  return html;
}

void Router::set_landing_page(std::optional<LandingPage> page) {
  std::unique_lock lock(mu_);
  has_landing_ = page.has_value();
  landing_html_ = page ? render_landing_page(*page) : std::string();
}

void Router::route(const std::string& path, Handler handler, bool limited) {
  auto r = make_route(std::move(handler), limited);
  std::unique_lock lock(mu_);
  routes_[path] = std::move(r);
}

void Router::route_prefix(const std::string& prefix, Handler handler, bool limited) {
  auto r = make_route(std::move(handler), limited);
  std::unique_lock lock(mu_);
  prefix_routes_[prefix] = std::move(r);
}

Router::Match Router::find(const std::string& path) const {
  std::shared_lock lock(mu_);
  if (auto it = routes_.find(path); it != routes_.end()) return {it->second, false};
  if (path == "/" && has_landing_) return {nullptr, true};
  Match best;
  size_t best_len = 0;
  for (const auto& [prefix, state] : prefix_routes_) {
    if (path.compare(0, prefix.size(), prefix) == 0 && (!best.route || prefix.size() > best_len)) {
      best.route = state;
      best_len = prefix.size();
    }
  }
  return best;
}

std::optional<InFlightSlot> Router::acquire(const std::shared_ptr<RouteState>& route, int max_requests) {
  if (!route->limited || max_requests <= 0) return InFlightSlot();
  if (route->in_flight.fetch_add(1) >= max_requests) {
    route->in_flight.fetch_sub(1);
    return std::nullopt;
  }
  return InFlightSlot(route);
}

}  // namespace ceems::http
