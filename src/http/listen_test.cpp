#include "http/listen.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "http/server.h"

namespace ceems::http {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(HttpListenAddress, Forms) {
  auto a = parse_listen_address(":9010");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->port, 9010);
  a = parse_listen_address("127.0.0.1:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 0);
  a = parse_listen_address("[::1]:9100");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 9100);
  a = parse_listen_address("localhost:65535");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->text, "localhost:65535");
}

TEST(HttpListenAddress, Errors) {
  for (const char* bad : {"", "9010", "::1:9010", "host:", "host:abc", "host:70000", "host:-1", "[::1]9010",
                          "[::1", "a]:1", "host: 80"}) {
    auto a = parse_listen_address(bad);
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_THAT(a.error().message(), HasSubstr("listen address")) << bad;
  }
}

TEST(HttpBindListener, PortZeroAndAddressInUse) {
  auto fd = bind_listener(*parse_listen_address("127.0.0.1:0"));
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  const int port = socket_port(*fd);
  EXPECT_GT(port, 0);
  EXPECT_EQ(socket_address(*fd), "127.0.0.1:" + std::to_string(port));

  const std::string text = "127.0.0.1:" + std::to_string(port);
  auto again = bind_listener(*parse_listen_address(text));
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().message(), AllOf(HasSubstr("listen tcp " + text), HasSubstr("bind")));
  ::close(*fd);
}

TEST(HttpSystemdListeners, RequiresTheEnvironment) {
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  auto fds = systemd_listeners();
  ASSERT_FALSE(fds.ok());
  EXPECT_THAT(fds.error().message(), HasSubstr("no socket activation file descriptors found"));

  ::setenv("LISTEN_PID", "1", 1);  // another process's sockets
  ::setenv("LISTEN_FDS", "1", 1);
  fds = systemd_listeners();
  ASSERT_FALSE(fds.ok());
  EXPECT_EQ(std::getenv("LISTEN_FDS"), nullptr);  // consumed
}

// Socket activation end to end, in a child process that can own fd 3.
TEST(HttpSystemdListeners, ServesOnInheritedSocket) {
  auto fd = bind_listener(*parse_listen_address("127.0.0.1:0"));
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  const int port = socket_port(*fd);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::dup2(*fd, 3) != 3) ::_exit(10);
    if (*fd != 3) ::close(*fd);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    ServerOptions opts;
    opts.systemd_socket = true;
    opts.listen_addresses = {"203.0.113.1:1"};  // ignored with systemd_socket
    opts.worker_threads = 2;
    auto srv = Server::create(opts, log::Logger());
    if (!srv.ok()) ::_exit(11);
    (*srv)->route(
        "/metrics",
        [](const Request&) {
          return Response{200, "text/plain", "activated"};
        },
        true);
    if (!(*srv)->start().ok()) ::_exit(12);
    if ((*srv)->bound_ports() != std::vector<int>{port}) ::_exit(13);
    httplib::Client cli("127.0.0.1", port);
    cli.set_connection_timeout(5);
    auto res = cli.Get("/metrics");
    if (!res || res->status != 200 || res->body != "activated") ::_exit(14);
    (*srv)->stop(std::chrono::seconds(5));
    ::_exit(0);
  }
  ::close(*fd);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ceems::http
