// The server's listeners and lifecycle: binding (or systemd's sockets), the event
// thread, accepting within the connection limit, TLS set-up with certificates
// reloaded per handshake, and a graceful stop. A connection's own work is in
// session.cpp; what a request gets, in dispatch.cpp and encoding.cpp.
#include "http/server.h"

#include <malloc.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <thread>

#include "http/config_watch.h"
#include "http/dispatch.h"
#include "http/listen.h"
#include "http/session.h"
#include "http/tls.h"

namespace ceems::http {
namespace {

namespace asio = boost::asio;
using Proto = SocketProtocol;

constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
constexpr auto kLimitLogInterval = std::chrono::seconds(60);
// After a burst of connections (an attack, a reconnect storm) the freed memory is
// handed back to the system once most of them are gone.
constexpr auto kTrimInterval = std::chrono::seconds(10);
constexpr size_t kTrimAfterConnections = 64;

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

// Connection-limit refusals and accept errors of all listeners together (event thread
// only).
struct AcceptLog {
  Throttled refused;
  Throttled failures;
};

struct ListenerState {
  // The io_context reference comes first so that it outlives the acceptor.
  std::shared_ptr<asio::io_context> ioc;
  asio::basic_socket_acceptor<Proto> acceptor;
  asio::steady_timer retry;
  std::string name;
  int port = 0;
  bool tcp = true;
  std::shared_ptr<AcceptLog> log;

  ListenerState(std::shared_ptr<asio::io_context> c, std::shared_ptr<AcceptLog> l)
      : ioc(std::move(c)), acceptor(*ioc), retry(*ioc), log(std::move(l)) {}
};

void schedule_trim(const std::shared_ptr<asio::steady_timer>& timer,
                   const std::shared_ptr<Connections>& conns) {
  timer->expires_after(kTrimInterval);
  timer->async_wait([timer, conns](boost::system::error_code ec) {
    if (ec || conns->stopping) return;
    const size_t high = conns->high_water.load();
    const size_t now = conns->count.load();
    if (high >= kTrimAfterConnections && now <= high / 4) {
#ifdef __GLIBC__
      ::malloc_trim(0);
#endif
      conns->high_water = now;
    }
    schedule_trim(timer, conns);
  });
}

void accept_next(const std::shared_ptr<ListenerState>& listener, const std::shared_ptr<Connections>& conns) {
  listener->acceptor.async_accept([listener, conns](boost::system::error_code ec, Proto::socket socket) {
    if (ec == asio::error::operation_aborted || conns->stopping) return;
    if (ec) {
      // Out of descriptors or memory: wait a little instead of spinning on accept.
      if (listener->log->failures.tick()) {
        conns->logger.warn("Accept failed; retrying every 100ms",
                           {{"address", listener->name},
                            {"err", ec.message()},
                            {"failures_total", static_cast<int64_t>(listener->log->failures.count)}});
      }
      listener->retry.expires_after(kAcceptRetry);
      listener->retry.async_wait([listener, conns](boost::system::error_code e) {
        if (!e) accept_next(listener, conns);
      });
      return;
    }
    if (conns->count.load() >= conns->options.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      if (listener->log->refused.tick()) {
        conns->logger.warn("Connection limit reached; closing new connections at once",
                           {{"max_connections", static_cast<int64_t>(conns->options.max_connections)},
                            {"refused_total", static_cast<int64_t>(listener->log->refused.count)}});
      }
    } else {
      start_session(listener->ioc, conns, std::move(socket), listener->tcp);
    }
    accept_next(listener, conns);
  });
}

class ServerImpl final : public Server {
 public:
  explicit ServerImpl(std::shared_ptr<Connections> conns) : conns_(std::move(conns)) {}
  ~ServerImpl() override { stop(std::chrono::seconds(5)); }

  void route(const std::string& path, Handler handler, bool limited) override {
    conns_->pipeline->router().route(path, std::move(handler), limited);
  }
  void route_prefix(const std::string& prefix, Handler handler, bool limited) override {
    conns_->pipeline->router().route_prefix(prefix, std::move(handler), limited);
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

  std::shared_ptr<Connections> conns_;
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
  conns_->ssl = std::make_unique<asio::ssl::context>(raw);  // takes ownership
  conns_->tls_policy = std::make_shared<TlsPolicy>();
  conns_->tls_policy->initial = cfg.tls;
  // Weak: the policy is owned by what it would otherwise keep alive.
  std::weak_ptr<Connections> weak = conns_;
  conns_->tls_policy->current_material = [weak]() -> std::shared_ptr<const TlsMaterial> {
    auto conns = weak.lock();
    if (!conns) return nullptr;
    const auto& config = conns->pipeline->config();
    auto s = config->current();
    if (!s.ok()) {
      conns->logger.error("Unable to parse configuration", {{"err", s.error()}});
      return nullptr;
    }
    if (!(*s)->tls) {
      conns->logger.error("TLS was removed from the web config; restart to serve plain HTTP",
                          {{"file", config->path()}});
    }
    return (*s)->tls;
  };
  // An idle kept-alive TLS connection then holds no read and write buffers (~34 kB).
  SSL_CTX_set_mode(conns_->ssl->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  return configure_ssl_ctx(conns_->ssl->native_handle(), cfg.config, *cfg.tls, conns_->tls_policy.get());
}

Status ServerImpl::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return invalid("server already started");

  std::vector<int> fds;
  std::vector<std::string> names;
  auto abandon = [&fds] {
    for (int fd : fds) ::close(fd);
  };
  if (conns_->options.systemd_socket) {
    conns_->logger.info("Listening on systemd activated listeners instead of port listeners.");
    auto got = systemd_listeners();
    if (!got.ok()) return got.error();
    for (int fd : *got) {
      fds.push_back(fd);
      names.push_back(socket_address(fd));
    }
  } else {
    if (conns_->options.listen_addresses.empty()) {
      return invalid("no web listen address or systemd socket flag specified");
    }
    for (const auto& text : conns_->options.listen_addresses) {
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

  auto snap = conns_->pipeline->config()->current();
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
    if (conns_->options.max_connections > room) {
      conns_->logger.warn("Connection limit lowered to fit the open-files limit",
                          {{"max_connections", static_cast<int64_t>(room)},
                           {"requested", static_cast<int64_t>(conns_->options.max_connections)},
                           {"open_files_limit", static_cast<int64_t>(files.rlim_cur)}});
      conns_->options.max_connections = room;
    }
  }

  ioc_ = std::make_shared<asio::io_context>(1);
  auto accept_log = std::make_shared<AcceptLog>();
  for (size_t i = 0; i < fds.size(); ++i) {
    auto l = std::make_shared<ListenerState>(ioc_, accept_log);
    const int family = socket_family(fds[i]);
    l->tcp = family == AF_INET || family == AF_INET6;
    boost::system::error_code ec;
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

  const bool tls = conns_->ssl != nullptr;
  for (const auto& l : listeners_) {
    const std::string bound = socket_address(l->acceptor.native_handle());
    conns_->logger.info("Listening on", {{"address", bound}});
    conns_->logger.info(tls ? "TLS is enabled." : "TLS is disabled.", {{"http2", false}, {"address", bound}});
    accept_next(l, conns_);
  }
  trim_timer_ = std::make_shared<asio::steady_timer>(*ioc_);
  schedule_trim(trim_timer_, conns_);
  work_.emplace(ioc_->get_executor());
  // The thread owns references to what it touches, so it may outlive this object
  // when stop() gives up waiting for a stuck handler.
  io_thread_ = std::thread([ioc = ioc_, conns = conns_] {
    for (;;) {
      try {
        ioc->run();
        break;
      } catch (const std::exception& e) {
        conns->logger.error("Event loop error; continuing", {{"err", e.what()}});
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
  conns_->stopping = true;

  // Stop accepting and close idle connections; busy ones close after their answer.
  auto stop_all = [this](bool force) {
    asio::post(*ioc_, [listeners = listeners_, conns = conns_, trim = trim_timer_, force] {
      trim->cancel();
      for (const auto& l : listeners) {
        boost::system::error_code ignored;
        l->acceptor.close(ignored);
        l->retry.cancel();
      }
      stop_sessions(*conns, force);
    });
  };
  stop_all(false);

  if (!conns_->pipeline->wait_idle(until)) {
    conns_->logger.warn("Stop deadline passed with requests still in flight; abandoning them",
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
  conns_->pipeline->stop_handlers(std::chrono::milliseconds(100));
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

  auto pipeline = std::make_shared<RequestPipeline>(options, logger, std::move(*watcher));
  auto conns = std::make_shared<Connections>(std::move(options), std::move(logger), std::move(pipeline));
  return std::unique_ptr<Server>(new ServerImpl(std::move(conns)));
}

}  // namespace ceems::http
