// Helpers for the tests that drive a real server through cpp-httplib: options for a
// loopback server, a started server with its routes, a client, and a gate that holds
// a handler inside until the test lets it go.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "http/server.h"

namespace ceems::http::test_util {

// Shared by value so that it outlives any request thread.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;

  void wait_inside() {
    std::unique_lock<std::mutex> l(mu);
    ++entered;
    cv.notify_all();
    cv.wait_for(l, std::chrono::seconds(20), [&] { return open; });
  }
  bool wait_entered(int n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(10), [&] { return entered >= n; });
  }
  void release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

inline ServerOptions local_options(int listeners = 1) {
  ServerOptions o;
  o.listen_addresses.assign(static_cast<size_t>(listeners), "127.0.0.1:0");
  o.worker_threads = 4;
  o.read_timeout = std::chrono::seconds(5);
  o.write_timeout = std::chrono::seconds(5);
  return o;
}

inline std::unique_ptr<Server> must_create(ServerOptions o) {
  auto s = Server::create(std::move(o), log::Logger("component", "http_test"));
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : nullptr;
}

inline httplib::Client client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5);
  c.set_read_timeout(10);
  return c;
}

// A server with the given routes, started on a loopback port.
inline std::unique_ptr<Server> start_with(ServerOptions o, const std::function<void(Server&)>& add_routes) {
  auto server = must_create(std::move(o));
  if (!server) return nullptr;
  add_routes(*server);
  auto st = server->start();
  EXPECT_TRUE(st.ok()) << st.error().message();
  return st.ok() ? std::move(server) : nullptr;
}

inline Handler answer(const std::string& text) {
  return [text](const Request&) { return Response{200, "text/plain", text}; };
}

// start() serves a limited /metrics that echoes the method; stopped after the test.
class ServerFixture : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    server_ = must_create(std::move(o));
    ASSERT_TRUE(server_);
    server_->route(
        "/metrics",
        [](const Request& r) {
          Response resp;
          resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
          resp.body = "# method " + r.method + "\nup 1\n";
          return resp;
        },
        true);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message();
    ASSERT_EQ(server_->bound_ports().size(), 1u);
    port_ = server_->bound_ports()[0];
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->stop(std::chrono::seconds(5));
  }

  std::unique_ptr<Server> server_;
  int port_ = 0;
};

}  // namespace ceems::http::test_util
