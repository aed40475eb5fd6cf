#include "http/dispatch.h"

#include <algorithm>
#include <exception>

#include "http/config_watch.h"

namespace ceems::http {
namespace {

// Queued bcrypt checks beyond this are refused (503): a flood of bad passwords must
// not queue up minutes of work in front of a legitimate scrape.
constexpr size_t kMaxQueuedAuth = 64;
constexpr size_t kMaxQueuedHandlers = 4096;
constexpr auto kPoolIdleExit = std::chrono::seconds(10);

}  // namespace

RequestPipeline::RequestPipeline(const ServerOptions& options, log::Logger logger,
                                 std::shared_ptr<WebConfigWatcher> config)
    : max_requests_(options.max_requests),
      on_error_status_(options.on_error_status),
      logger_(std::move(logger)),
      config_(std::move(config)),
      handlers_(
          TaskPool::Options{std::max<size_t>(1, options.worker_threads), kMaxQueuedHandlers, kPoolIdleExit}),
      auth_lane_(TaskPool::Options{1, kMaxQueuedAuth, kPoolIdleExit}) {
  router_.set_landing_page(options.landing_page);
}

void RequestPipeline::request_started() {
  std::lock_guard<std::mutex> l(active_mu_);
  ++active_;
}

void RequestPipeline::request_finished() {
  std::lock_guard<std::mutex> l(active_mu_);
  --active_;
  active_cv_.notify_all();
}

bool RequestPipeline::wait_idle(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> l(active_mu_);
  return active_cv_.wait_until(l, until, [&] { return active_ == 0; });
}

std::shared_ptr<const ConfigSnapshot> RequestPipeline::snapshot() const {
  auto snap = config_->current();
  if (!snap.ok()) {
    logger_.error("Unable to parse configuration", {{"err", snap.error()}});
    return nullptr;
  }
  return std::move(*snap);
}

std::optional<bool> RequestPipeline::check_credentials_now(const ConfigSnapshot& cfg,
                                                           const std::string& authorization) {
  if (!cfg.auth->enabled()) return true;
  return cfg.auth->authorize_cached(authorization);
}

bool RequestPipeline::queue_credentials_check(std::shared_ptr<const ConfigSnapshot> cfg,
                                              std::string authorization,
                                              std::function<void(bool allowed)> on_checked) {
  return auth_lane_.submit(
      [cfg = std::move(cfg), authorization = std::move(authorization), on_checked = std::move(on_checked)] {
        on_checked(cfg->auth->authorize(authorization));
      });
}

RequestPipeline::Admission RequestPipeline::admit(bool authorized, const std::string& path) {
  Admission out;
  if (!authorized) {
    Response r = plain_error(401, "Unauthorized");
    r.headers.emplace("WWW-Authenticate", "Basic");
    out.answer = std::move(r);
    return out;
  }
  auto match = router_.find(path);
  if (match.landing) {
    Response page;
    page.content_type = "text/html; charset=utf-8";
    page.body = router_.landing_html();
    out.answer = std::move(page);
    return out;
  }
  if (!match.route) {
    out.answer = plain_error(404, "404 page not found");
    return out;
  }
  auto slot = Router::acquire(match.route, max_requests_);
  if (!slot) {
    if (on_error_status_) on_error_status_(path, 503);
    out.answer = plain_error(503, "Limit of concurrent requests reached (" + std::to_string(max_requests_) +
                                      "), try again later.");
    return out;
  }
  out.route = std::move(match.route);
  out.slot = std::move(*slot);
  return out;
}

bool RequestPipeline::handle(std::shared_ptr<RouteState> route, InFlightSlot slot, Request request,
                             std::shared_ptr<const ConfigSnapshot> cfg, bool gzip_ok, bool head,
                             std::function<void(EncodedResponse)> done) {
  // The slot is shared only because a task must be copyable; one task owns it.
  auto task = [self = shared_from_this(), route = std::move(route), req = std::move(request),
               slot = std::make_shared<InFlightSlot>(std::move(slot)), cfg = std::move(cfg), gzip_ok, head,
               done = std::move(done)]() mutable {
    Response out;
    try {
      out = route->handler(req);
    } catch (const std::exception& e) {
      self->logger_.error("Request handler failed", {{"path", req.path}, {"err", e.what()}});
      if (self->on_error_status_) self->on_error_status_(req.path, 500);
      out = plain_error(500, "Internal Server Error");
    }
    slot->release();
    done(encode_response(std::move(out), cfg.get(), gzip_ok, head));
  };
  return handlers_.submit(std::move(task));
}

void RequestPipeline::stop_handlers(std::chrono::milliseconds deadline) { handlers_.stop(deadline); }

Response RequestPipeline::config_error() { return plain_error(500, "Internal Server Error"); }

Response RequestPipeline::auth_queue_full() {
  return plain_error(503, "Too many authentication checks in flight, try again later.");
}

Response RequestPipeline::handlers_busy() { return plain_error(503, "Service Unavailable"); }

}  // namespace ceems::http
