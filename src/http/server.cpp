// The server on Boost.Asio/Beast (docs/http-server.md says why this library): one
// event thread owns every socket, accepts, TLS handshakes, reads and writes; it never
// blocks. Handlers and bcrypt checks run on task pools and hand their answers back to
// the event thread. Every phase of a connection has a deadline, and every byte a
// client can make the server hold is bounded.
#include "http/server.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <ctime>
#include <limits>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/task_pool.h"
#include "http/config_watch.h"
#include "http/listen.h"
#include "http/router.h"
#include "http/tls.h"
#include "http/wire.h"

namespace ceems::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using Proto = asio::generic::stream_protocol;
using PlainStream = beast::basic_stream<Proto, asio::any_io_executor, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<PlainStream>;
using WireResponse = bh::response<bh::string_body>;

// How long a connection that is being closed after an error keeps reading (and
// discarding) what the client still sends, so that the kernel does not answer that
// data with a reset that destroys the response before the client has read it.
constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr size_t kLingerMaxBytes = 1 << 20;
// Queued bcrypt checks beyond this are refused (503): a flood of bad passwords must
// not queue up minutes of work in front of a legitimate scrape.
constexpr size_t kMaxQueuedAuth = 64;
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
constexpr size_t kMaxTlsRecord = 5 + 16384 + 2048;  // header + largest TLS 1.2 ciphertext
constexpr auto kLimitLogInterval = std::chrono::seconds(60);
// After a burst of connections (an attack, a reconnect storm) the freed memory is
// handed back to the system once most of them are gone.
constexpr auto kTrimInterval = std::chrono::seconds(10);
constexpr size_t kTrimAfterConnections = 64;

const char* reason(int status) {
  auto r = bh::obsolete_reason(bh::int_to_status(static_cast<unsigned>(status)));
  return r.empty() ? "Unknown" : r.data();
}

// "Mon, 02 Jan 2006 15:04:05 GMT", as every Go response carries.
std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

// The raw bytes Go writes for a request it cannot parse: no keep-alive, plain text.
std::string fatal_response(int status, const std::string& detail) {
  std::string text = std::to_string(status) + " " + reason(status);
  if (!detail.empty()) text += ": " + detail;
  return "HTTP/1.1 " + std::to_string(status) + " " + reason(status) +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text;
}

constexpr std::string_view kHttpToHttps =
    "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

// Plain-text error with Go's http.Error bytes.
Response plain_error(int status, const std::string& text) {
  Response r;
  r.status = status;
  r.body = text + "\n";
  r.headers.emplace("X-Content-Type-Options", "nosniff");
  return r;
}

class SessionBase;

// Counts an event and says when to log it: at most once a minute, with the count, so
// a flood of refusals cannot flood the log.
struct Throttled {
  uint64_t count = 0;
  std::chrono::steady_clock::time_point logged{};
  bool tick() {
    ++count;
    const auto now = std::chrono::steady_clock::now();
    if (now - logged < kLimitLogInterval) return false;
    logged = now;
    return true;
  }
};

// What the event thread and the handler threads share. Sessions hold it, so it lives
// as long as any connection or handler does.
struct Core {
  ServerOptions options;
  log::Logger logger;
  std::shared_ptr<WebConfigWatcher> config;
  Router router;
  TaskPool handlers;
  TaskPool auth_lane{TaskPool::Options{1, kMaxQueuedAuth, std::chrono::seconds(10)}};

  // TLS, set up at start when the web config enables it.
  std::unique_ptr<asio::ssl::context> ssl;
  std::shared_ptr<TlsPolicy> tls_policy;

  std::atomic<size_t> connections{0};
  std::atomic<size_t> high_water{0};  // most connections since the last memory trim
  std::atomic<bool> stopping{false};

  // Requests between their complete headers and the end of their response.
  std::mutex active_mu;
  std::condition_variable active_cv;
  size_t active = 0;

  // Sessions by id, so that stop() can reach the idle ones. Weak: the registry never
  // keeps a connection alive.
  std::mutex sessions_mu;
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  uint64_t next_session = 0;

  // Connection-limit refusals and accept errors (event thread only).
  Throttled refused;
  Throttled accept_failures;

  Core(ServerOptions o, log::Logger l, std::shared_ptr<WebConfigWatcher> c)
      : options(std::move(o)),
        logger(std::move(l)),
        config(std::move(c)),
        handlers(
            TaskPool::Options{std::max<size_t>(1, options.worker_threads), 4096, std::chrono::seconds(10)}) {}

  void request_started() {
    std::lock_guard<std::mutex> l(active_mu);
    ++active;
  }
  void request_finished() {
    std::lock_guard<std::mutex> l(active_mu);
    --active;
    active_cv.notify_all();
  }

  // The finished response for the wire: configured headers, the handler's headers,
  // error text, gzip, length, date. Runs on handler threads (gzip costs CPU).
  WireResponse to_wire(Response out, const ConfigSnapshot* cfg, bool gzip_ok, bool head,
                       bool keep_alive) const;
};

WireResponse Core::to_wire(Response out, const ConfigSnapshot* cfg, bool gzip_ok, bool head,
                           bool keep_alive) const {
  if (!out.raw && out.body.empty() && out.status >= 400) {
    // An ordinary route's bare error status still tells the client what it was.
    Response text = plain_error(out.status, reason(out.status));
    for (auto& h : out.headers) text.headers.insert(h);
    out = std::move(text);
    out.content_type = "text/plain; charset=utf-8";
  }
  WireResponse res;
  res.result(static_cast<unsigned>(out.status));
  res.version(11);
  if (cfg != nullptr) {
    for (const auto& [name, value] : cfg->config.http.headers) {
      if (safe_header_name(name) && safe_header_value(value) && out.headers.count(name) == 0) {
        res.insert(name, value);
      }
    }
  }
  if (!out.content_type.empty() && safe_header_value(out.content_type)) {
    res.set(bh::field::content_type, out.content_type);
  }
  for (const auto& [name, value] : out.headers) {
    // A relayed header must not split the response or smuggle a second one; the
    // length and framing are the server's own.
    if (!safe_header_name(name) || !safe_header_value(value)) continue;
    const std::string_view n = name;
    if (beast::iequals(n, "Content-Length") || beast::iequals(n, "Transfer-Encoding") ||
        beast::iequals(n, "Connection")) {
      continue;
    }
    if (beast::iequals(n, "Content-Type") && !out.content_type.empty()) continue;
    res.insert(name, value);
  }
  if (!out.raw && gzip_ok && !out.body.empty() && res.find(bh::field::content_encoding) == res.end()) {
    std::string z = gzip(out.body);
    if (!z.empty()) {
      out.body = std::move(z);
      res.set(bh::field::content_encoding, "gzip");
    }
  }
  res.set(bh::field::date, http_date());
  res.keep_alive(keep_alive);
  const size_t length = out.body.size();
  if (!head) res.body() = std::move(out.body);
  res.content_length(length);
  return res;
}

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // On the event thread: the server is stopping. Idle connections close; one whose
  // request is being handled closes after its response, unless force.
  virtual void stop(bool force) = 0;
};

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  // The io_context reference comes first so that it outlives the stream.
  Session(std::shared_ptr<asio::io_context> ioc, std::shared_ptr<Core> core, Stream stream, PeerAddress peer)
      : ioc_(std::move(ioc)),
        core_(std::move(core)),
        stream_(std::move(stream)),
        buffer_(core_->options.max_header_bytes + 64 * 1024),
        peer_(std::move(peer)) {
    const size_t now = ++core_->connections;
    size_t seen = core_->high_water.load();
    while (now > seen && !core_->high_water.compare_exchange_weak(seen, now)) {
    }
  }

  ~Session() override {
    --core_->connections;
    std::lock_guard<std::mutex> l(core_->sessions_mu);
    core_->sessions.erase(id_);
  }

  // A plain session on a TLS listener first looks at the client's first bytes; the
  // TLS state (tens of kilobytes) exists only once a handshake record arrived.
  void run(bool tls_listener) {
    enlist();
    if (tls_listener) {
      lowest().expires_after(core_->options.tls_handshake_timeout);
      peek_tls();
    } else if constexpr (kTls) {
      handshake();
    } else {
      read_header();
    }
  }

  void stop(bool force) override {
    stopping_ = true;
    if (!busy_ || force) lowest().close();
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  template <class>
  friend class Session;

  void enlist() {
    std::lock_guard<std::mutex> l(core_->sessions_mu);
    id_ = ++core_->next_session;
    core_->sessions[id_] = std::weak_ptr<SessionBase>(this->shared_from_this());
  }

  PlainStream& lowest() { return beast::get_lowest_layer(stream_); }
  auto self() { return this->shared_from_this(); }

  // --- TLS: plain HTTP gets Go's 400, a TLS record the handshake -----------------

  void peek_tls() {
    lowest().async_read_some(buffer_.prepare(512), [s = self()](beast::error_code ec, size_t n) {
      s->buffer_.commit(n);
      if (ec) return s->close_now();
      s->on_peek();
    });
  }

  void on_peek() {
    const auto data = buffer_.data();
    const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
    if (static_cast<unsigned char>(bytes[0]) == 0x16) {  // TLS handshake record
      // Wait for the whole first record (the ClientHello) before creating any TLS
      // state, so a client that stalls mid-hello costs only these bytes.
      if (bytes.size() < 5) return peek_tls();
      const size_t record = 5 + ((static_cast<size_t>(static_cast<unsigned char>(bytes[3])) << 8) |
                                 static_cast<unsigned char>(bytes[4]));
      if (bytes.size() < record && record <= kMaxTlsRecord) return peek_tls();
      return upgrade();
    }
    if (bytes.size() < 5) return peek_tls();
    if (looks_like_plain_http(bytes)) {
      core_->logger.debug("Plain HTTP request on a TLS listener",
                          {{"remote", host_port(peer_.ip, peer_.port)}});
      return write_fatal_raw(std::string(kHttpToHttps));
    }
    close_now();
  }

  // Hands the socket, its deadline and the bytes read so far to a TLS session.
  void upgrade() {
    if constexpr (!kTls) {
      auto tls = std::make_shared<Session<TlsStream>>(ioc_, core_, TlsStream(std::move(stream_), *core_->ssl),
                                                      peer_);
      tls->buffer_ = std::move(buffer_);
      tls->run(false);
    }
  }

  void handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(
          asio::ssl::stream_base::server, buffer_.data(), [s = self()](beast::error_code ec, size_t used) {
            s->buffer_.consume(used);
            if (ec) {
              s->core_->logger.debug(
                  "TLS handshake error",
                  {{"remote", host_port(s->peer_.ip, s->peer_.port)}, {"err", ec.message()}});
              return s->close_now();
            }
            s->read_header();
          });
    }
  }

  // --- reading a request ----------------------------------------------------------

  void next_request() {
    if (stopping_) return close_now();
    // A pipelined request is already (partly) here; otherwise wait, idle, for its
    // first byte, then give its headers the read-header time.
    if (buffer_.size() > 0) return read_header();
    if (buffer_.capacity() > 64 * 1024) buffer_.shrink_to_fit();
    lowest().expires_after(core_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [s = self()](beast::error_code ec, size_t n) {
      s->buffer_.commit(n);
      if (ec) return s->close_now();
      s->read_header();
    });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(
        static_cast<uint32_t>(std::min<size_t>(core_->options.max_header_bytes, UINT32_MAX)));
    // The body limit is applied after authentication (read_body): a client without
    // credentials learns nothing about bodies, and gets 401 before anything else.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest().expires_after(core_->options.read_header_timeout);
    bh::async_read_header(stream_, buffer_, *parser_,
                          [s = self()](beast::error_code ec, size_t) { s->on_header(ec); });
  }

  // Errors of the request's bytes: 400/413/431 and close; transport errors: close.
  void read_failed(beast::error_code ec, bool in_body) {
    if (ec == bh::error::header_limit || (ec == bh::error::buffer_overflow && !in_body)) {
      return write_fatal_raw(fatal_response(431, ""));
    }
    if (ec == bh::error::body_limit) return write_fatal_raw(fatal_response(413, ""));
    if (ec.category() == bh::make_error_code(bh::error::bad_target).category() &&
        ec != bh::error::end_of_stream && ec != bh::error::partial_message) {
      return write_fatal_raw(fatal_response(400, ec.message()));
    }
    if (ec == beast::error::timeout) {
      core_->logger.debug("Connection timed out", {{"remote", host_port(peer_.ip, peer_.port)},
                                                   {"phase", in_body ? "body" : "headers"}});
    }
    close_now();
  }

  void on_header(beast::error_code ec) {
    if (ec) return read_failed(ec, false);
    auto& req = parser_->get();
    if (req.version() >= 11 && req.find(bh::field::host) == req.end()) {
      return write_fatal_raw(fatal_response(400, "missing required Host header"));
    }
    auto path = request_path(req.target());
    if (!path.ok()) return write_fatal_raw(fatal_response(400, path.error().message()));
    path_ = std::move(*path);
    busy_ = true;
    core_->request_started();

    auto snap = core_->config->current();
    if (!snap.ok()) {
      core_->logger.error("Unable to parse configuration", {{"err", snap.error()}});
      return respond(plain_error(500, "Internal Server Error"));
    }
    cfg_ = std::move(*snap);
    if (!cfg_->auth->enabled()) return after_auth(true);
    const std::string authorization(req[bh::field::authorization]);
    if (auto quick = cfg_->auth->authorize_cached(authorization)) return after_auth(*quick);
    // bcrypt: off the event thread, one at a time, in a short queue.
    auto s = self();
    const bool queued = core_->auth_lane.submit([s, authorization, work = asio::make_work_guard(*ioc_)] {
      const bool ok = s->cfg_->auth->authorize(authorization);
      asio::post(s->lowest().get_executor(), [s, ok] { s->after_auth(ok); });
    });
    if (!queued) respond(plain_error(503, "Too many authentication checks in flight, try again later."));
  }

  void after_auth(bool ok) {
    if (!ok) {
      Response r = plain_error(401, "Unauthorized");
      r.headers.emplace("WWW-Authenticate", "Basic");
      return respond(std::move(r));
    }
    auto match = core_->router.find(path_);
    if (match.landing) {
      Response page;
      page.content_type = "text/html; charset=utf-8";
      page.body = core_->router.landing_html();
      return respond(std::move(page));
    }
    if (!match.route) return respond(plain_error(404, "404 page not found"));
    auto slot = Router::acquire(match.route, core_->options.max_requests);
    if (!slot) {
      if (core_->options.on_error_status) core_->options.on_error_status(path_, 503);
      return respond(plain_error(503, "Limit of concurrent requests reached (" +
                                          std::to_string(core_->options.max_requests) +
                                          "), try again later."));
    }
    route_ = std::move(match.route);
    slot_ = std::move(*slot);
    if (parser_->is_done()) return run_handler();
    read_body();
  }

  void read_body() {
    auto& req = parser_->get();
    const auto length = parser_->content_length();
    if (length && *length > core_->options.max_body_bytes) {
      slot_.release();
      route_.reset();
      finish_request();
      return write_fatal_raw(fatal_response(413, ""));
    }
    parser_->body_limit(core_->options.max_body_bytes);
    lowest().expires_after(core_->options.read_timeout);
    if (beast::iequals(req[bh::field::expect], "100-continue")) {
      auto msg = std::make_shared<const std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      asio::async_write(stream_, asio::buffer(*msg), [s = self(), msg](beast::error_code ec, size_t) {
        if (ec) return s->abandon_request();
        bh::async_read(s->stream_, s->buffer_, *s->parser_,
                       [s](beast::error_code ec2, size_t) { s->on_body(ec2); });
      });
      return;
    }
    bh::async_read(stream_, buffer_, *parser_,
                   [s = self()](beast::error_code ec, size_t) { s->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec) {
      slot_.release();
      route_.reset();
      finish_request();
      return read_failed(ec, true);
    }
    run_handler();
  }

  // --- handling -------------------------------------------------------------------

  void run_handler() {
    auto& req = parser_->get();
    Request r;
    r.method = std::string(req.method_string());
    r.path = path_;
    r.remote_addr = host_port(peer_.ip, peer_.port);
    r.remote_ip = peer_.ip;
    r.remote_port = peer_.port;
    r.target = std::string(req.target());
    r.accept = std::string(req[bh::field::accept]);
    r.accept_encoding = std::string(req[bh::field::accept_encoding]);
    r.host = std::string(req[bh::field::host]);
    for (const auto& f : req) r.headers.emplace(std::string(f.name_string()), std::string(f.value()));
    r.body = std::move(req.body());
    const bool head = req.method() == bh::verb::head;
    const bool gzip_ok = accepts_gzip(r.accept_encoding);
    const bool keep_alive = req.keep_alive() && !stopping_;

    auto s = self();
    // The guard keeps the event loop running for the answer, even after a stop that
    // gave up waiting for this handler.
    auto task = [s, route = route_, req = std::move(r),
                 slot = std::make_shared<InFlightSlot>(std::move(slot_)), cfg = cfg_, head, gzip_ok,
                 keep_alive, work = asio::make_work_guard(*ioc_)]() mutable {
      Response out;
      try {
        out = route->handler(req);
      } catch (const std::exception& e) {
        s->core_->logger.error("Request handler failed", {{"path", req.path}, {"err", e.what()}});
        if (s->core_->options.on_error_status) s->core_->options.on_error_status(req.path, 500);
        out = plain_error(500, "Internal Server Error");
      }
      slot->release();
      auto wire = std::make_shared<WireResponse>(
          s->core_->to_wire(std::move(out), cfg.get(), gzip_ok, head, keep_alive));
      asio::post(s->lowest().get_executor(), [s, wire] { s->write(std::move(*wire)); });
    };
    route_.reset();
    if (!core_->handlers.submit(std::move(task))) {
      respond(plain_error(503, "Service Unavailable"));
    }
  }

  // An answer made on the event thread (errors, the landing page).
  void respond(Response out) {
    const auto& req = parser_->get();
    slot_.release();
    route_.reset();
    // An unread body closes the connection: the next request would start inside it.
    const bool keep_alive = req.keep_alive() && parser_->is_done() && !stopping_;
    write(core_->to_wire(std::move(out), cfg_.get(), accepts_gzip(req[bh::field::accept_encoding]),
                         req.method() == bh::verb::head, keep_alive));
  }

  void write(WireResponse res) {
    res_ = std::move(res);
    lowest().expires_after(core_->options.write_timeout);
    bh::async_write(stream_, res_, [s = self()](beast::error_code ec, size_t) {
      const bool keep = !ec && s->res_.keep_alive() && !s->stopping_;
      s->res_ = {};
      s->finish_request();
      if (ec) return s->close_now();
      if (!keep) return s->linger_close();
      s->next_request();
    });
  }

  void finish_request() {
    if (!busy_) return;
    busy_ = false;
    cfg_.reset();
    parser_.reset();
    core_->request_finished();
  }

  void abandon_request() {
    slot_.release();
    route_.reset();
    finish_request();
    close_now();
  }

  // --- closing --------------------------------------------------------------------

  void write_fatal_raw(std::string bytes) {
    finish_request();
    auto msg = std::make_shared<const std::string>(std::move(bytes));
    lowest().expires_after(core_->options.write_timeout);
    auto on_written = [s = self(), msg](beast::error_code ec, size_t) {
      if (ec) return s->close_now();
      s->linger_close();
    };
    asio::async_write(stream_, asio::buffer(*msg), std::move(on_written));
  }

  // Half-closes, then discards what the client still sends for a short while.
  void linger_close() {
    beast::error_code ignored;
    lowest().socket().shutdown(Proto::socket::shutdown_send, ignored);
    // A stopping server does not wait for the client's side.
    if (stopping_) return close_now();
    lowest().expires_after(kLingerTime);
    scratch_ = std::make_unique<std::array<char, 4096>>();
    linger_read();
  }

  void linger_read() {
    lowest().async_read_some(asio::buffer(*scratch_), [s = self()](beast::error_code ec, size_t n) {
      s->lingered_ += n;
      if (ec || s->lingered_ > kLingerMaxBytes) return s->close_now();
      s->linger_read();
    });
  }

  void close_now() {
    finish_request();
    lowest().close();
  }

  std::shared_ptr<asio::io_context> ioc_;
  std::shared_ptr<Core> core_;
  Stream stream_;
  beast::flat_buffer buffer_;
  PeerAddress peer_;
  uint64_t id_ = 0;
  std::optional<bh::request_parser<bh::string_body>> parser_;
  std::string path_;
  std::shared_ptr<const ConfigSnapshot> cfg_;
  std::shared_ptr<RouteState> route_;
  InFlightSlot slot_;
  WireResponse res_;
  std::unique_ptr<std::array<char, 4096>> scratch_;
  size_t lingered_ = 0;
  bool busy_ = false;
  bool stopping_ = false;
};

struct ListenerState {
  // The io_context reference comes first so that it outlives the acceptor.
  std::shared_ptr<asio::io_context> ioc;
  asio::basic_socket_acceptor<Proto> acceptor;
  asio::steady_timer retry;
  std::string name;
  int port = 0;
  bool tcp = true;

  explicit ListenerState(std::shared_ptr<asio::io_context> c)
      : ioc(std::move(c)), acceptor(*ioc), retry(*ioc) {}
};

void start_session(const std::shared_ptr<asio::io_context>& ioc, const std::shared_ptr<Core>& core,
                   Proto::socket socket, bool tcp) {
  const int fd = socket.native_handle();
  if (tcp) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  auto s =
      std::make_shared<Session<PlainStream>>(ioc, core, PlainStream(std::move(socket)), peer_address(fd));
  s->run(core->ssl != nullptr);
}

void schedule_trim(const std::shared_ptr<asio::steady_timer>& timer, const std::shared_ptr<Core>& core) {
  timer->expires_after(kTrimInterval);
  timer->async_wait([timer, core](beast::error_code ec) {
    if (ec || core->stopping) return;
    const size_t high = core->high_water.load();
    const size_t now = core->connections.load();
    if (high >= kTrimAfterConnections && now <= high / 4) {
#ifdef __GLIBC__
      ::malloc_trim(0);
#endif
      core->high_water = now;
    }
    schedule_trim(timer, core);
  });
}

void accept_next(const std::shared_ptr<ListenerState>& listener, const std::shared_ptr<Core>& core) {
  listener->acceptor.async_accept([listener, core](beast::error_code ec, Proto::socket socket) {
    if (ec == asio::error::operation_aborted || core->stopping) return;
    if (ec) {
      // Out of descriptors or memory: wait a little instead of spinning on accept.
      if (core->accept_failures.tick()) {
        core->logger.warn("Accept failed; retrying every 100ms",
                          {{"address", listener->name},
                           {"err", ec.message()},
                           {"failures_total", static_cast<int64_t>(core->accept_failures.count)}});
      }
      listener->retry.expires_after(kAcceptRetry);
      listener->retry.async_wait([listener, core](beast::error_code e) {
        if (!e) accept_next(listener, core);
      });
      return;
    }
    if (core->connections.load() >= core->options.max_connections) {
      beast::error_code ignored;
      socket.close(ignored);
      if (core->refused.tick()) {
        core->logger.warn("Connection limit reached; closing new connections at once",
                          {{"max_connections", static_cast<int64_t>(core->options.max_connections)},
                           {"refused_total", static_cast<int64_t>(core->refused.count)}});
      }
    } else {
      start_session(listener->ioc, core, std::move(socket), listener->tcp);
    }
    accept_next(listener, core);
  });
}

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  ~ServerImpl() override { stop(std::chrono::seconds(5)); }

  void route(const std::string& path, Handler handler, bool limited) override {
    core_->router.route(path, std::move(handler), limited);
  }
  void route_prefix(const std::string& prefix, Handler handler, bool limited) override {
    core_->router.route_prefix(prefix, std::move(handler), limited);
  }

  Status start() override;
  void stop(std::chrono::milliseconds deadline) override;
  std::vector<int> bound_ports() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<int> ports;
    for (const auto& l : listeners_) ports.push_back(l->port);
    return ports;
  }

 private:
  Status setup_tls(const ConfigSnapshot& cfg);

  std::shared_ptr<Core> core_;
  mutable std::mutex mu_;
  std::shared_ptr<asio::io_context> ioc_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::shared_ptr<ListenerState>> listeners_;
  std::shared_ptr<asio::steady_timer> trim_timer_;
  std::thread io_thread_;
  bool started_ = false;
  bool stopped_ = false;
};

Status ServerImpl::setup_tls(const ConfigSnapshot& cfg) {
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) return invalid("couldn't create the TLS context");
  core_->ssl = std::make_unique<asio::ssl::context>(raw);  // takes ownership
  core_->tls_policy = std::make_shared<TlsPolicy>();
  core_->tls_policy->initial = cfg.tls;
  std::weak_ptr<Core> weak = core_;
  core_->tls_policy->current_material = [weak]() -> std::shared_ptr<const TlsMaterial> {
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
  // An idle kept-alive TLS connection then holds no read and write buffers (~34 kB).
  SSL_CTX_set_mode(core_->ssl->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  return configure_ssl_ctx(core_->ssl->native_handle(), cfg.config, *cfg.tls, core_->tls_policy.get());
}

Status ServerImpl::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return invalid("server already started");

  std::vector<int> fds;
  std::vector<std::string> names;
  auto abandon = [&fds] {
    for (int fd : fds) ::close(fd);
  };
  if (core_->options.systemd_socket) {
    core_->logger.info("Listening on systemd activated listeners instead of port listeners.");
    auto got = systemd_listeners();
    if (!got.ok()) return got.error();
    for (int fd : *got) {
      fds.push_back(fd);
      names.push_back(socket_address(fd));
    }
  } else {
    if (core_->options.listen_addresses.empty()) {
      return invalid("no web listen address or systemd socket flag specified");
    }
    for (const auto& text : core_->options.listen_addresses) {
      auto addr = parse_listen_address(text);
      Result<int> fd = addr.ok() ? bind_listener(*addr) : Result<int>(addr.error());
      if (!fd.ok()) {
        abandon();
        return fd.error();
      }
      fds.push_back(*fd);
      names.push_back(text);
    }
  }

  auto snap = core_->config->current();
  if (!snap.ok()) {
    abandon();
    return snap.error();
  }
  // TLS is set up only when the web config asks for it: a plain server never
  // initialises the TLS library.
  if ((*snap)->tls) {
    if (auto st = setup_tls(**snap); !st.ok()) {
      abandon();
      return st;
    }
  }

  // Above the descriptor limit accept() would fail instead of the limit refusing
  // cleanly; keep room for the files collectors open during a scrape.
  struct rlimit files {};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    const size_t room = files.rlim_cur > 256 ? static_cast<size_t>(files.rlim_cur) - 128 : 64;
    if (core_->options.max_connections > room) {
      core_->logger.warn("Connection limit lowered to fit the open-files limit",
                         {{"max_connections", static_cast<int64_t>(room)},
                          {"requested", static_cast<int64_t>(core_->options.max_connections)},
                          {"open_files_limit", static_cast<int64_t>(files.rlim_cur)}});
      core_->options.max_connections = room;
    }
  }

  ioc_ = std::make_shared<asio::io_context>(1);
  for (size_t i = 0; i < fds.size(); ++i) {
    auto l = std::make_shared<ListenerState>(ioc_);
    const int family = socket_family(fds[i]);
    l->tcp = family == AF_INET || family == AF_INET6;
    beast::error_code ec;
    l->acceptor.assign(Proto(family, l->tcp ? IPPROTO_TCP : 0), fds[i], ec);
    if (ec) {
      for (size_t j = i; j < fds.size(); ++j) ::close(fds[j]);
      listeners_.clear();
      return Error(ErrorKind::kIo, "couldn't serve " + names[i] + ": " + ec.message());
    }
    l->name = names[i];
    l->port = socket_port(fds[i]);
    listeners_.push_back(std::move(l));
  }

  const bool tls = core_->ssl != nullptr;
  for (const auto& l : listeners_) {
    const std::string bound = socket_address(l->acceptor.native_handle());
    core_->logger.info("Listening on", {{"address", bound}});
    core_->logger.info(tls ? "TLS is enabled." : "TLS is disabled.", {{"http2", false}, {"address", bound}});
    accept_next(l, core_);
  }
  trim_timer_ = std::make_shared<asio::steady_timer>(*ioc_);
  schedule_trim(trim_timer_, core_);
  work_.emplace(ioc_->get_executor());
  // The thread owns references to what it touches, so it may outlive this object
  // when stop() gives up waiting for a stuck handler.
  io_thread_ = std::thread([ioc = ioc_, core = core_] {
    for (;;) {
      try {
        ioc->run();
        break;
      } catch (const std::exception& e) {
        core->logger.error("Event loop error; continuing", {{"err", e.what()}});
      }
    }
  });
  started_ = true;
  return Status::Ok();
}

void ServerImpl::stop(std::chrono::milliseconds deadline) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_ || stopped_) return;
  stopped_ = true;
  const auto until = std::chrono::steady_clock::now() + deadline;
  core_->stopping = true;

  // Stop accepting and close idle connections; busy ones close after their answer.
  auto stop_all = [this](bool force) {
    asio::post(*ioc_, [listeners = listeners_, core = core_, trim = trim_timer_, force] {
      trim->cancel();
      for (const auto& l : listeners) {
        beast::error_code ignored;
        l->acceptor.close(ignored);
        l->retry.cancel();
      }
      std::vector<std::shared_ptr<SessionBase>> live;
      {
        std::lock_guard<std::mutex> l(core->sessions_mu);
        for (auto& [id, weak] : core->sessions) {
          if (auto s = weak.lock()) live.push_back(std::move(s));
        }
      }
      for (auto& s : live) s->stop(force);
    });
  };
  stop_all(false);

  bool all_done = false;
  {
    std::unique_lock<std::mutex> l(core_->active_mu);
    all_done = core_->active_cv.wait_until(l, until, [&] { return core_->active == 0; });
  }
  if (!all_done) {
    core_->logger.warn("Stop deadline passed with requests still in flight; abandoning them",
                       {{"deadline_ms", static_cast<int64_t>(deadline.count())}});
    work_.reset();
    io_thread_.detach();
    return;
  }
  // No request is in flight: whatever is left (connections lingering after their last
  // answer) is closed now, so the loop runs dry at once and the thread can be joined.
  // Posted while the guard still holds the loop: a handler posted after the loop ran
  // dry would never run, and the references it holds would never be released.
  stop_all(true);
  work_.reset();
  io_thread_.join();
  core_->handlers.stop(std::chrono::milliseconds(100));
}

}  // namespace

Result<std::unique_ptr<Server>> Server::create(ServerOptions options, log::Logger logger) {
  for (const auto& a : options.listen_addresses) {
    if (options.systemd_socket) break;
    auto parsed = parse_listen_address(a);
    if (!parsed.ok()) return parsed.error();
  }
  if (options.max_connections == 0) return invalid("the connection limit must be at least 1");
  if (options.max_header_bytes < 1024) return invalid("the request header limit must be at least 1024 bytes");
  auto watcher = WebConfigWatcher::create(options.web_config_file);
  if (!watcher.ok()) return watcher.error();

  auto landing = options.landing_page;
  auto core = std::make_shared<Core>(std::move(options), std::move(logger), std::move(*watcher));
  core->router.set_landing_page(std::move(landing));
  return std::unique_ptr<Server>(new ServerImpl(std::move(core)));
}

}  // namespace ceems::http
