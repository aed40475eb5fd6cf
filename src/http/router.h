// The route table of a server: exact paths, the landing page at "/", and prefix
// routes (the Redfish proxy's catch-all), each with its own in-flight counter for
// --web.max-requests. Independent of the transport, so that it is tested and fuzzed
// without sockets.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include "http/server.h"

namespace ceems::http {

struct RouteState {
  Handler handler;
  bool limited = false;
  std::atomic<int> in_flight{0};
};

// Holds one slot of a limited route's in-flight count for as long as it lives.
class InFlightSlot {
 public:
  InFlightSlot() = default;
  explicit InFlightSlot(std::shared_ptr<RouteState> route) : route_(std::move(route)) {}
  InFlightSlot(InFlightSlot&& o) noexcept = default;
  InFlightSlot& operator=(InFlightSlot&& o) noexcept {
    release();
    route_ = std::move(o.route_);
    return *this;
  }
  InFlightSlot(const InFlightSlot&) = delete;
  InFlightSlot& operator=(const InFlightSlot&) = delete;
  ~InFlightSlot() { release(); }
  void release() {
    if (route_) route_->in_flight.fetch_sub(1);
    route_.reset();
  }

 private:
  std::shared_ptr<RouteState> route_;
};

class Router {
 public:
  void set_landing_page(std::optional<LandingPage> page);
  void route(const std::string& path, Handler handler, bool limited);
  void route_prefix(const std::string& prefix, Handler handler, bool limited);

  struct Match {
    std::shared_ptr<RouteState> route;  // null with landing or when nothing matched
    bool landing = false;
  };
  // Exact route, then the landing page at "/", then the longest matching prefix.
  Match find(const std::string& path) const;

  // Takes a slot of a limited route; nullopt when max_requests are already in flight.
  // Unlimited routes (or max_requests <= 0) always get an empty slot.
  static std::optional<InFlightSlot> acquire(const std::shared_ptr<RouteState>& route, int max_requests);

  const std::string& landing_html() const { return landing_html_; }

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<RouteState>, std::less<>> routes_;
  std::map<std::string, std::shared_ptr<RouteState>, std::less<>> prefix_routes_;
  bool has_landing_ = false;
  std::string landing_html_;
};

// The landing page's HTML (every text HTML-escaped).
std::string render_landing_page(const LandingPage& page);

}  // namespace ceems::http
