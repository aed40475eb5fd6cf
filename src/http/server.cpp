#include "http/server.h"

#include <httplib.h>
#include <signal.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "http/config_watch.h"
#include "http/listen.h"
#include "http/tls.h"

namespace ceems::http {
namespace {

constexpr int kKeepAliveSeconds = 5;
// Only the Redfish proxy takes request bodies (small JSON documents such as a session
// login); this bounds what a client can make the server buffer.
constexpr size_t kMaxPayloadBytes = 1 << 20;
// Set on a relayed response whose empty error body must stay empty; the error handler
// removes it before anything is written.
constexpr const char* kRelayedEmptyMarker = "X-Ceems-Relayed-Empty-Body";
constexpr auto kStartTimeout = std::chrono::seconds(5);

// cpp-httplib 0.11.4 binds its own socket; the listening socket member is protected,
// so a subclass can hand it one bound elsewhere (by bind_listener or by systemd).
class SocketAdopter {
 public:
  virtual ~SocketAdopter() = default;
  virtual void adopt(int fd) = 0;
  // Closes the socket of a listener that never started serving.
  virtual void close_unstarted() = 0;
};

template <typename Base>
class Listener final : public Base, public SocketAdopter {
 public:
  using Base::Base;
  void adopt(int fd) override { this->svr_sock_ = fd; }
  void close_unstarted() override {
    const auto fd = this->svr_sock_.exchange(INVALID_SOCKET);
    if (fd != INVALID_SOCKET) ::close(fd);
  }
};

struct RouteState {
  Handler handler;
  bool limited = false;
  std::atomic<int> in_flight{0};
};

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

std::string gzip(const std::string& in) {
  z_stream zs{};
  // 15 window bits + 16 selects the gzip wrapper.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

// Error responses carry the same bytes as Go's http.Error.
void plain_error(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  if (!res.has_header("X-Content-Type-Options")) res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(text + "\n", "text/plain; charset=utf-8");
}

const char* status_text(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request URI Too Long";
    case 416:
      return "Requested Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Bad Request";
  }
}

bool method_has_body(const std::string& method) {
  // cpp-httplib reads a body for exactly these before its own dispatch.
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// State that request threads use; shared so that a listener thread detached after a
// missed stop deadline never outlives it.
struct Core {
  ServerOptions options;
  log::Logger logger;
  std::shared_ptr<WebConfigWatcher> config;
  std::shared_mutex routes_mu;
  std::map<std::string, std::shared_ptr<RouteState>, std::less<>> routes;
  std::map<std::string, std::shared_ptr<RouteState>, std::less<>> prefix_routes;
  std::string landing_html;

  std::shared_ptr<RouteState> find_route(const std::string& path) {
    std::shared_lock lock(routes_mu);
    auto it = routes.find(path);
    return it == routes.end() ? nullptr : it->second;
  }

  std::shared_ptr<RouteState> find_prefix_route(const std::string& path) {
    std::shared_lock lock(routes_mu);
    std::shared_ptr<RouteState> best;
    size_t best_len = 0;
    for (const auto& [prefix, state] : prefix_routes) {
      if (path.compare(0, prefix.size(), prefix) == 0 && (!best || prefix.size() > best_len)) {
        best = state;
        best_len = prefix.size();
      }
    }
    return best;
  }

  void handle(const httplib::Request& req, httplib::Response& res);
  void respond(const httplib::Request& req, httplib::Response& res, Response out);
};

// A dual-stack listener sees IPv4 clients as "::ffff:a.b.c.d"; Go reports them as
// "a.b.c.d", and configured IPv4 addresses must match either way.
std::string peer_ip(const std::string& addr) {
  constexpr std::string_view kMapped = "::ffff:";
  if (addr.size() <= kMapped.size()) return addr;
  for (size_t i = 0; i < kMapped.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(addr[i])) != kMapped[i]) return addr;
  }
  std::string v4 = addr.substr(kMapped.size());
  if (v4.find(':') != std::string::npos || v4.find('.') == std::string::npos) return addr;
  return v4;
}

bool is_pseudo_header(const std::string& name) {
  static const char* const kNames[] = {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"};
  for (const char* n : kNames) {
    if (!HeaderNameLess{}(name, n) && !HeaderNameLess{}(n, name)) return true;
  }
  return false;
}

// Hands a relayed body to cpp-httplib so that it goes out byte for byte: a body given
// through a sized content provider is neither compressed nor passed to the error
// handler, and the byte ranges of the request were already served by the backend.
void relay(const httplib::Request& req, httplib::Response& res, std::string body) {
  // cpp-httplib would cut the requested range out of the (already partial) backend
  // answer again. The request object is not const where cpp-httplib created it.
  const_cast<httplib::Request&>(req).ranges.clear();
  if (body.empty()) {
    if (res.status >= 400) res.set_header(kRelayedEmptyMarker, "1");
    return;
  }
  auto data = std::make_shared<const std::string>(std::move(body));
  res.content_length_ = data->size();
  res.content_provider_ = [data](size_t offset, size_t length, httplib::DataSink& sink) {
    if (offset >= data->size()) return false;
    return sink.write(data->data() + offset, std::min(length, data->size() - offset));
  };
}

void Core::handle(const httplib::Request& req, httplib::Response& res) {
  auto snap = config->current();
  if (!snap.ok()) {
    logger.error("Unable to parse configuration", {{"err", snap.error()}});
    plain_error(res, 500, "Internal Server Error");
    return;
  }
  const ConfigSnapshot& cfg = **snap;
  for (const auto& [name, value] : cfg.config.http.headers) res.set_header(name, value);

  if (cfg.auth->enabled() && !cfg.auth->authorize(req.get_header_value("Authorization"))) {
    res.set_header("WWW-Authenticate", "Basic");
    plain_error(res, 401, "Unauthorized");
    return;
  }

  Request r;
  r.method = req.method;
  r.path = req.path;
  r.remote_addr = req.remote_addr.find(':') != std::string::npos
                      ? "[" + req.remote_addr + "]:" + std::to_string(req.remote_port)
                      : req.remote_addr + ":" + std::to_string(req.remote_port);
  r.accept = req.get_header_value("Accept");
  r.accept_encoding = req.get_header_value("Accept-Encoding");
  r.host = req.get_header_value("Host");
  r.target = req.target;
  r.remote_ip = peer_ip(req.remote_addr);
  r.remote_port = req.remote_port;
  for (const auto& [name, value] : req.headers) {
    // cpp-httplib files the peer and local socket addresses among the headers (a client
    // sending these names is dropped as well, which no real client does).
    if (is_pseudo_header(name)) continue;
    r.headers.emplace(name, value);
  }
  r.body = req.body;

  auto route = find_route(req.path);
  if (!route) {
    if (req.path == "/" && options.landing_page) {
      Response page;
      page.content_type = "text/html; charset=utf-8";
      page.body = landing_html;
      respond(req, res, std::move(page));
      return;
    }
    route = find_prefix_route(req.path);
  }
  if (!route) {
    plain_error(res, 404, "404 page not found");
    return;
  }

  const int limit = options.max_requests;
  const bool counted = route->limited && limit > 0;
  if (counted && route->in_flight.fetch_add(1) >= limit) {
    route->in_flight.fetch_sub(1);
    if (options.on_error_status) options.on_error_status(req.path, 503);
    plain_error(res, 503,
                "Limit of concurrent requests reached (" + std::to_string(limit) + "), try again later.");
    return;
  }
  struct Release {
    RouteState* state;
    ~Release() {
      if (state != nullptr) state->in_flight.fetch_sub(1);
    }
  } release{counted ? route.get() : nullptr};

  Response out;
  try {
    out = route->handler(r);
  } catch (const std::exception& e) {
    logger.error("Request handler failed", {{"path", req.path}, {"err", e.what()}});
    if (options.on_error_status) options.on_error_status(req.path, 500);
    plain_error(res, 500, "Internal Server Error");
    return;
  }
  respond(req, res, std::move(out));
}

void Core::respond(const httplib::Request& req, httplib::Response& res, Response out) {
  res.status = out.status;
  if (!out.content_type.empty()) res.set_header("Content-Type", out.content_type);
  // set_header drops values carrying CR or LF, so relayed headers cannot split the response.
  for (const auto& [name, value] : out.headers) res.set_header(name, value);
  if (out.raw) {
    relay(req, res, std::move(out.body));
    return;
  }
  res.body = std::move(out.body);
  // cpp-httplib compresses text/* (gzip, or brotli when asked for) by itself; other
  // types are compressed here so that "gzip accepted" always means a gzip body.
  if (!res.body.empty() && req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos &&
      httplib::detail::encoding_type(req, res) == httplib::detail::EncodingType::None) {
    std::string z = gzip(res.body);
    if (!z.empty()) {
      res.body = std::move(z);
      res.set_header("Content-Encoding", "gzip");
    }
  }
}

struct ListenerSlot {
  std::string name;  // address as configured, or the systemd socket's address
  std::shared_ptr<httplib::Server> server;
  SocketAdopter* adopter = nullptr;
  std::shared_ptr<TlsPolicy> tls_policy;  // referenced by the SSL_CTX callbacks
  int fd = -1;
  int port = 0;
  std::thread thread;
  bool started = false;
};

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~ServerImpl() override { stop(std::chrono::seconds(5)); }

  void route(const std::string& path, Handler handler, bool limited) override {
    auto r = std::make_shared<RouteState>();
    r->handler = std::move(handler);
    r->limited = limited;
    std::unique_lock lock(core_->routes_mu);
    core_->routes[path] = std::move(r);
  }

  void route_prefix(const std::string& prefix, Handler handler, bool limited) override {
    auto r = std::make_shared<RouteState>();
    r->handler = std::move(handler);
    r->limited = limited;
    std::unique_lock lock(core_->routes_mu);
    core_->prefix_routes[prefix] = std::move(r);
  }

  Status start() override;
  void stop(std::chrono::milliseconds deadline) override;
  std::vector<int> bound_ports() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<int> ports;
    for (const auto& l : listeners_) ports.push_back(l.port);
    return ports;
  }

 private:
  Result<std::shared_ptr<httplib::Server>> make_server(ListenerSlot& slot,
                                                       const std::shared_ptr<const ConfigSnapshot>& cfg);
  void abandon(std::vector<ListenerSlot>& slots);

  std::shared_ptr<Core> core_;
  mutable std::mutex mu_;
  std::vector<ListenerSlot> listeners_;
  bool started_ = false;
  bool stopped_ = false;

  // Listener threads report their end here so that stop() can wait with a deadline.
  struct Exits {
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
  };
  std::shared_ptr<Exits> exits_ = std::make_shared<Exits>();
};

Result<std::shared_ptr<httplib::Server>> ServerImpl::make_server(
    ListenerSlot& slot, const std::shared_ptr<const ConfigSnapshot>& cfg) {
  std::shared_ptr<httplib::Server> svr;
  if (cfg->tls) {
    slot.tls_policy = std::make_shared<TlsPolicy>();
    slot.tls_policy->initial = cfg->tls;
    std::weak_ptr<Core> weak = core_;
    slot.tls_policy->current_material = [weak]() -> std::shared_ptr<const TlsMaterial> {
      auto core = weak.lock();
      if (!core) return nullptr;
      auto s = core->config->current();
      if (!s.ok()) {
        core->logger.error("Unable to parse configuration", {{"err", s.error()}});
        return nullptr;
      }
      if (!(*s)->tls) {
        core->logger.error("TLS was removed from the web config; restart to serve plain HTTP",
                           {{"file", core->config->path()}});
      }
      return (*s)->tls;
    };
    Status setup;
    auto ssl = std::make_shared<Listener<httplib::SSLServer>>([&](SSL_CTX& ctx) {
      setup = configure_ssl_ctx(&ctx, cfg->config, *cfg->tls, slot.tls_policy.get());
      return setup.ok();
    });
    if (!setup.ok()) return setup.error();
    if (!ssl->is_valid()) return invalid("couldn't create the TLS context for " + slot.name);
    slot.adopter = ssl.get();
    svr = ssl;
  } else {
    auto plain = std::make_shared<Listener<httplib::Server>>();
    slot.adopter = plain.get();
    svr = plain;
  }

  std::weak_ptr<Core> weak = core_;
  std::shared_ptr<Core> core = core_;
  auto handler = [core](const httplib::Request& req, httplib::Response& res) { core->handle(req, res); };
  // Requests with a body go through cpp-httplib's dispatch so that it reads the body
  // first (keeping the connection usable); everything else is answered before any
  // regex matching. Either way paths match exactly, in Core::handle.
  const std::string any = "[\\s\\S]*";
  svr->Post(any, handler);
  svr->Put(any, handler);
  svr->Patch(any, handler);
  svr->Delete(any, handler);
  svr->set_pre_routing_handler([core](const httplib::Request& req, httplib::Response& res) {
    if (method_has_body(req.method)) return httplib::Server::HandlerResponse::Unhandled;
    core->handle(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Fills in bodies for errors cpp-httplib produces itself (bad request line, ...).
  svr->set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (res.has_header(kRelayedEmptyMarker)) {
          res.headers.erase(kRelayedEmptyMarker);
          return httplib::Server::HandlerResponse::Unhandled;
        }
        if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
        plain_error(res, res.status, status_text(res.status));
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr->set_exception_handler(
      [weak](const httplib::Request& req, httplib::Response& res, const std::exception_ptr& ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        if (auto c = weak.lock()) c->logger.error("Request failed", {{"path", req.path}, {"err", what}});
        plain_error(res, 500, "Internal Server Error");
      });
  svr->set_read_timeout(core_->options.read_timeout);
  svr->set_write_timeout(core_->options.write_timeout);
  svr->set_keep_alive_timeout(
      std::min<time_t>(kKeepAliveSeconds, std::max<time_t>(1, core_->options.read_timeout.count())));
  svr->set_payload_max_length(kMaxPayloadBytes);
  const size_t workers = std::max<size_t>(1, core_->options.worker_threads);
  svr->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  return svr;
}

void ServerImpl::abandon(std::vector<ListenerSlot>& slots) {
  for (auto& s : slots) {
    if (s.adopter != nullptr) {
      s.adopter->close_unstarted();
    } else if (s.fd >= 0) {
      ::close(s.fd);
    }
  }
  slots.clear();
}

Status ServerImpl::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return invalid("server already started");

  // A client that disconnects mid-response must not kill the exporter (cpp-httplib
  // writes without MSG_NOSIGNAL); Go ignores SIGPIPE on sockets too.
  struct sigaction old {};
  if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) ::signal(SIGPIPE, SIG_IGN);

  std::vector<ListenerSlot> slots;
  if (core_->options.systemd_socket) {
    core_->logger.info("Listening on systemd activated listeners instead of port listeners.");
    auto fds = systemd_listeners();
    if (!fds.ok()) return fds.error();
    for (int fd : *fds) {
      ListenerSlot s;
      s.fd = fd;
      s.name = socket_address(fd);
      slots.push_back(std::move(s));
    }
  } else {
    if (core_->options.listen_addresses.empty()) {
      return invalid("no web listen address or systemd socket flag specified");
    }
    for (const auto& text : core_->options.listen_addresses) {
      auto addr = parse_listen_address(text);
      Result<int> fd = addr.ok() ? bind_listener(*addr) : Result<int>(addr.error());
      if (!fd.ok()) {
        abandon(slots);
        return fd.error();
      }
      ListenerSlot s;
      s.fd = *fd;
      s.name = text;
      slots.push_back(std::move(s));
    }
  }

  auto snap = core_->config->current();
  if (!snap.ok()) {
    abandon(slots);
    return snap.error();
  }
  const bool tls = (*snap)->tls != nullptr;
  for (auto& s : slots) {
    s.port = socket_port(s.fd);
    auto svr = make_server(s, *snap);
    if (!svr.ok()) {
      abandon(slots);
      return svr.error();
    }
    s.server = std::move(*svr);
    s.adopter->adopt(s.fd);
  }

  for (auto& s : slots) {
    const std::string bound = socket_address(s.fd);
    core_->logger.info("Listening on", {{"address", bound}});
    core_->logger.info(tls ? "TLS is enabled." : "TLS is disabled.", {{"http2", false}, {"address", bound}});
    // The thread owns references to everything it touches, so it may safely outlive
    // this object if stop() gives up waiting for it.
    s.thread = std::thread([svr = s.server, core = core_, exits = exits_, name = s.name] {
      // cpp-httplib reports a stop() as success; false means accept() itself failed.
      if (!svr->listen_after_bind()) {
        core->logger.error("Listener stopped unexpectedly; no longer serving this address",
                           {{"address", name}});
      }
      std::lock_guard<std::mutex> l(exits->mu);
      ++exits->done;
      exits->cv.notify_all();
    });
    s.started = true;
  }
  listeners_ = std::move(slots);
  started_ = true;

  // httplib::Server::stop() is a no-op until the accept loop runs, so wait for it.
  const auto until = std::chrono::steady_clock::now() + kStartTimeout;
  for (auto& s : listeners_) {
    while (!s.server->is_running() && std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard<std::mutex> l(exits_->mu);
        if (exits_->done > 0) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  return Status::Ok();
}

void ServerImpl::stop(std::chrono::milliseconds deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ || stopped_) return;
  stopped_ = true;
  for (auto& s : listeners_) s.server->stop();

  // Each listener returns once its worker pool has finished the requests in flight.
  const auto until = std::chrono::steady_clock::now() + deadline;
  bool all_done = false;
  {
    std::unique_lock<std::mutex> l(exits_->mu);
    all_done = exits_->cv.wait_until(l, until, [&] { return exits_->done >= listeners_.size(); });
  }
  if (!all_done) {
    core_->logger.warn("Stop deadline passed with requests still in flight; abandoning them",
                       {{"deadline_ms", static_cast<int64_t>(deadline.count())}});
  }
  for (auto& s : listeners_) {
    if (!s.thread.joinable()) continue;
    if (all_done) {
      s.thread.join();
    } else {
      s.thread.detach();
    }
  }
}

}  // namespace

Result<std::unique_ptr<Server>> Server::create(ServerOptions options, log::Logger logger) {
  for (const auto& a : options.listen_addresses) {
    if (options.systemd_socket) break;
    auto parsed = parse_listen_address(a);
    if (!parsed.ok()) return parsed.error();
  }
  auto watcher = WebConfigWatcher::create(options.web_config_file);
  if (!watcher.ok()) return watcher.error();

  auto core = std::make_shared<Core>();
  if (options.landing_page) core->landing_html = render_landing_page(*options.landing_page);
  core->options = std::move(options);
  core->logger = std::move(logger);
  core->config = std::move(*watcher);
  return std::unique_ptr<Server>(new ServerImpl(std::move(core)));
}

}  // namespace ceems::http
