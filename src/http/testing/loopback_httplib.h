// An httplib server (plain or TLS) serving on an ephemeral 127.0.0.1 port from its
// own thread, stopped and joined when this goes out of scope: the far end of the
// outbound client's tests.
#pragma once

#include <httplib.h>

#include <chrono>
#include <thread>

namespace ceems::http::test_util {

class LoopbackHttplib {
 public:
  // server must outlive this object; its routes are set before start().
  explicit LoopbackHttplib(httplib::Server& server) : server_(server) {}
  ~LoopbackHttplib() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  LoopbackHttplib(const LoopbackHttplib&) = delete;
  LoopbackHttplib& operator=(const LoopbackHttplib&) = delete;

  // The port it listens on, once it accepts connections.
  int start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return port_;
  }
  int port() const { return port_; }

 private:
  httplib::Server& server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace ceems::http::test_util
