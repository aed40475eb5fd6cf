// Internal to src/http: the request pipeline between a parsed request head and its
// handler: the web config snapshot, basic auth, routing, the per-route limit, the
// handler call and the answers the server gives instead of a handler. No socket and
// no library type: the connection (session.h) feeds it and writes what comes back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/log.h"
#include "core/task_pool.h"
#include "http/encoding.h"
#include "http/router.h"
#include "http/server.h"

namespace ceems::http {

struct ConfigSnapshot;
class WebConfigWatcher;

class RequestPipeline : public std::enable_shared_from_this<RequestPipeline> {
 public:
  RequestPipeline(const ServerOptions& options, log::Logger logger, std::shared_ptr<WebConfigWatcher> config);

  Router& router() { return router_; }
  const std::shared_ptr<WebConfigWatcher>& config() const { return config_; }

  // Requests between their complete headers and the end of their response, which a
  // graceful stop waits for.
  void request_started();
  void request_finished();
  // True when none is left before until.
  bool wait_idle(std::chrono::steady_clock::time_point until);

  // The web config a request is judged by; null (and logged) while a changed file is
  // invalid, which is answered with config_error().
  std::shared_ptr<const ConfigSnapshot> snapshot() const;

  // The verdict when it costs nothing: auth is off, or the credential is cached.
  static std::optional<bool> check_credentials_now(const ConfigSnapshot& cfg,
                                                   const std::string& authorization);
  // Queues the bcrypt check, which runs one at a time, never on the connection's
  // thread; on_checked gets the verdict on the auth thread. False when the queue is
  // full (answer auth_queue_full()).
  bool queue_credentials_check(std::shared_ptr<const ConfigSnapshot> cfg, std::string authorization,
                               std::function<void(bool allowed)> on_checked);

  struct Admission {
    std::optional<Response> answer;  // set: no handler runs (401, landing page, 404, 503)
    std::shared_ptr<RouteState> route;
    InFlightSlot slot;  // held until the handler returns
  };
  // Authentication comes before routing: a client without credentials learns nothing
  // about which paths exist.
  Admission admit(bool authorized, const std::string& path);

  // Runs the route's handler on a handler thread and hands the encoded answer to done
  // there. False when no thread or queue slot is free (answer handlers_busy()).
  bool handle(std::shared_ptr<RouteState> route, InFlightSlot slot, Request request,
              std::shared_ptr<const ConfigSnapshot> cfg, bool gzip_ok, bool head,
              std::function<void(EncodedResponse)> done);

  // Waits up to deadline for handlers still running after the server stopped.
  void stop_handlers(std::chrono::milliseconds deadline);

  static Response config_error();
  static Response auth_queue_full();
  static Response handlers_busy();

 private:
  const int max_requests_;
  const std::function<void(const std::string& path, int status)> on_error_status_;
  const log::Logger logger_;
  const std::shared_ptr<WebConfigWatcher> config_;
  Router router_;
  TaskPool handlers_;
  TaskPool auth_lane_;

  std::mutex active_mu_;
  std::condition_variable active_cv_;
  size_t active_ = 0;
};

}  // namespace ceems::http
