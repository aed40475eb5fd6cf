// A connection of the server, on Boost.Beast over Asio: one event thread owns every
// socket, TLS handshake, read and write, and never blocks. Requests go through the
// pipeline (dispatch.h), whose handlers and bcrypt checks run on task pools and hand
// their answers back to the event thread. Every phase of a connection has a deadline,
// and every byte a client can make the server hold is bounded.
#include "http/session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <vector>

#include "http/config_watch.h"
#include "http/encoding.h"
#include "http/listen.h"
#include "http/wire.h"

namespace ceems::http {

// A session of either stream type, as the registry in Connections holds it.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void stop(bool force) = 0;
};

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using PlainStream = beast::basic_stream<SocketProtocol, asio::any_io_executor, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<PlainStream>;
using WireResponse = bh::response<bh::string_body>;

// How long a connection that is being closed after an error keeps reading (and
// discarding) what the client still sends, so that the kernel does not answer that
// data with a reset that destroys the response before the client has read it.
constexpr auto kLingerTime = std::chrono::milliseconds(500);
constexpr size_t kLingerMaxBytes = 1 << 20;
constexpr size_t kMaxTlsRecord = 5 + 16384 + 2048;  // header + largest TLS 1.2 ciphertext

constexpr std::string_view kHttpToHttps =
    "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

// Framing is the library's: it writes Connection for keep_alive and the length.
WireResponse to_wire(EncodedResponse encoded, bool keep_alive) {
  WireResponse res;
  res.result(static_cast<unsigned>(encoded.status));
  res.version(11);
  for (const auto& [name, value] : encoded.fields) res.insert(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(encoded.body);
  res.content_length(encoded.content_length);
  return res;
}

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  // The io_context reference comes first so that it outlives the stream.
  Session(std::shared_ptr<asio::io_context> ioc, std::shared_ptr<Connections> connections, Stream stream,
          PeerAddress peer)
      : ioc_(std::move(ioc)),
        connections_(std::move(connections)),
        stream_(std::move(stream)),
        buffer_(connections_->options.max_header_bytes + 64 * 1024),
        peer_(std::move(peer)) {
    const size_t now = ++connections_->count;
    size_t seen = connections_->high_water.load();
    while (now > seen && !connections_->high_water.compare_exchange_weak(seen, now)) {
    }
  }

  ~Session() override {
    --connections_->count;
    std::lock_guard<std::mutex> l(connections_->sessions_mu);
    connections_->sessions.erase(id_);
  }

  // A plain session on a TLS listener first looks at the client's first bytes; the
  // TLS state (tens of kilobytes) exists only once a handshake record arrived.
  void run(bool tls_listener) {
    enlist();
    if (tls_listener) {
      lowest().expires_after(connections_->options.tls_handshake_timeout);
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
    std::lock_guard<std::mutex> l(connections_->sessions_mu);
    id_ = ++connections_->next_session;
    connections_->sessions[id_] = std::weak_ptr<SessionBase>(this->shared_from_this());
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
      connections_->logger.debug("Plain HTTP request on a TLS listener",
                                 {{"remote", host_port(peer_.ip, peer_.port)}});
      return write_fatal_raw(std::string(kHttpToHttps));
    }
    close_now();
  }

  // Hands the socket, its deadline and the bytes read so far to a TLS session.
  void upgrade() {
    if constexpr (!kTls) {
      auto tls = std::make_shared<Session<TlsStream>>(
          ioc_, connections_, TlsStream(std::move(stream_), *connections_->ssl), peer_);
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
              s->connections_->logger.debug(
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
    lowest().expires_after(connections_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [s = self()](beast::error_code ec, size_t n) {
      s->buffer_.commit(n);
      if (ec) return s->close_now();
      s->read_header();
    });
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(
        static_cast<uint32_t>(std::min<size_t>(connections_->options.max_header_bytes, UINT32_MAX)));
    // The body limit is applied after authentication (read_body): a client without
    // credentials learns nothing about bodies, and gets 401 before anything else.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest().expires_after(connections_->options.read_header_timeout);
    bh::async_read_header(stream_, buffer_, *parser_,
                          [s = self()](beast::error_code ec, size_t) { s->on_header(ec); });
  }

  // Errors of the request's bytes: 400/413/431 and close; transport errors: close.
  void read_failed(beast::error_code ec, bool in_body) {
    if (ec == bh::error::header_limit || (ec == bh::error::buffer_overflow && !in_body)) {
      return write_fatal_raw(closing_error_response(431, ""));
    }
    if (ec == bh::error::body_limit) return write_fatal_raw(closing_error_response(413, ""));
    if (ec.category() == bh::make_error_code(bh::error::bad_target).category() &&
        ec != bh::error::end_of_stream && ec != bh::error::partial_message) {
      return write_fatal_raw(closing_error_response(400, ec.message()));
    }
    if (ec == beast::error::timeout) {
      connections_->logger.debug("Connection timed out", {{"remote", host_port(peer_.ip, peer_.port)},
                                                          {"phase", in_body ? "body" : "headers"}});
    }
    close_now();
  }

  void on_header(beast::error_code ec) {
    if (ec) return read_failed(ec, false);
    auto& req = parser_->get();
    if (req.version() >= 11 && req.find(bh::field::host) == req.end()) {
      return write_fatal_raw(closing_error_response(400, "missing required Host header"));
    }
    auto path = request_path(req.target());
    if (!path.ok()) return write_fatal_raw(closing_error_response(400, path.error().message()));
    path_ = std::move(*path);
    busy_ = true;
    connections_->pipeline->request_started();

    cfg_ = connections_->pipeline->snapshot();
    if (!cfg_) return respond(RequestPipeline::config_error());
    const std::string authorization(req[bh::field::authorization]);
    if (auto now = RequestPipeline::check_credentials_now(*cfg_, authorization)) return after_auth(*now);
    // The verdict of the bcrypt check comes back to the event thread.
    auto on_checked = [s = self(), work = asio::make_work_guard(*ioc_)](bool ok) {
      asio::post(s->lowest().get_executor(), [s, ok] { s->after_auth(ok); });
    };
    if (!connections_->pipeline->queue_credentials_check(cfg_, authorization, std::move(on_checked))) {
      respond(RequestPipeline::auth_queue_full());
    }
  }

  void after_auth(bool ok) {
    auto admitted = connections_->pipeline->admit(ok, path_);
    if (admitted.answer) return respond(std::move(*admitted.answer));
    route_ = std::move(admitted.route);
    slot_ = std::move(admitted.slot);
    if (parser_->is_done()) return run_handler();
    read_body();
  }

  void read_body() {
    auto& req = parser_->get();
    const auto length = parser_->content_length();
    if (length && *length > connections_->options.max_body_bytes) {
      slot_.release();
      route_.reset();
      finish_request();
      return write_fatal_raw(closing_error_response(413, ""));
    }
    parser_->body_limit(connections_->options.max_body_bytes);
    lowest().expires_after(connections_->options.read_timeout);
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

    // The guard keeps the event loop running for the answer, even after a stop that
    // gave up waiting for this handler. The library's message is built on the handler
    // thread too, so that the event thread only writes it.
    auto done = [s = self(), keep_alive, work = asio::make_work_guard(*ioc_)](EncodedResponse encoded) {
      auto wire = std::make_shared<WireResponse>(to_wire(std::move(encoded), keep_alive));
      asio::post(s->lowest().get_executor(), [s, wire] { s->write(std::move(*wire)); });
    };
    if (!connections_->pipeline->handle(std::move(route_), std::move(slot_), std::move(r), cfg_, gzip_ok,
                                        head, std::move(done))) {
      respond(RequestPipeline::handlers_busy());
    }
  }

  // An answer made on the event thread (errors, the landing page).
  void respond(Response out) {
    const auto& req = parser_->get();
    slot_.release();
    route_.reset();
    // An unread body closes the connection: the next request would start inside it.
    const bool keep_alive = req.keep_alive() && parser_->is_done() && !stopping_;
    write(to_wire(encode_response(std::move(out), cfg_.get(), accepts_gzip(req[bh::field::accept_encoding]),
                                  req.method() == bh::verb::head),
                  keep_alive));
  }

  void write(WireResponse res) {
    res_ = std::move(res);
    lowest().expires_after(connections_->options.write_timeout);
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
    connections_->pipeline->request_finished();
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
    lowest().expires_after(connections_->options.write_timeout);
    auto on_written = [s = self(), msg](beast::error_code ec, size_t) {
      if (ec) return s->close_now();
      s->linger_close();
    };
    asio::async_write(stream_, asio::buffer(*msg), std::move(on_written));
  }

  // Half-closes, then discards what the client still sends for a short while.
  void linger_close() {
    beast::error_code ignored;
    lowest().socket().shutdown(SocketProtocol::socket::shutdown_send, ignored);
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
  std::shared_ptr<Connections> connections_;
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

}  // namespace

void start_session(const std::shared_ptr<asio::io_context>& ioc,
                   const std::shared_ptr<Connections>& connections, SocketProtocol::socket socket, bool tcp) {
  const int fd = socket.native_handle();
  if (tcp) {
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  auto s = std::make_shared<Session<PlainStream>>(ioc, connections, PlainStream(std::move(socket)),
                                                  peer_address(fd));
  s->run(connections->ssl != nullptr);
}

void stop_sessions(Connections& connections, bool force) {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard<std::mutex> l(connections.sessions_mu);
    for (auto& [id, weak] : connections.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->stop(force);
}

}  // namespace ceems::http
