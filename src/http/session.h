// Internal to src/http: the connections of a server on Boost.Asio/Beast, the one place
// whose interface names that library (the listener in server.cpp uses it too). What
// all connections share, starting one on an accepted socket, and stopping them.
// Request semantics live in dispatch.h and encoding.h, which know no library.
#pragma once

#include <atomic>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/log.h"
#include "http/dispatch.h"
#include "http/server.h"
#include "http/tls.h"

namespace ceems::http {

using SocketProtocol = boost::asio::generic::stream_protocol;

class SessionBase;

// Sessions hold it, so it lives as long as any connection or handler does.
struct Connections {
  Connections(ServerOptions o, log::Logger l, std::shared_ptr<RequestPipeline> p)
      : options(std::move(o)), logger(std::move(l)), pipeline(std::move(p)) {}

  ServerOptions options;
  log::Logger logger;
  std::shared_ptr<RequestPipeline> pipeline;

  // TLS, set up at start when the web config enables it.
  std::unique_ptr<boost::asio::ssl::context> ssl;
  std::shared_ptr<TlsPolicy> tls_policy;

  std::atomic<size_t> count{0};
  std::atomic<size_t> high_water{0};  // most connections since the last memory trim
  std::atomic<bool> stopping{false};

  // Sessions by id, so that a stop can reach the idle ones. Weak: the registry never
  // keeps a connection alive.
  std::mutex sessions_mu;
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions;
  uint64_t next_session = 0;
};

// On the event thread: serves an accepted socket until it closes. A TLS server first
// looks at the client's first bytes (plain HTTP gets Go's 400).
void start_session(const std::shared_ptr<boost::asio::io_context>& ioc,
                   const std::shared_ptr<Connections>& connections, SocketProtocol::socket socket, bool tcp);

// On the event thread: idle connections close; one whose request is being handled
// closes after its response, unless force.
void stop_sessions(Connections& connections, bool force);

}  // namespace ceems::http
