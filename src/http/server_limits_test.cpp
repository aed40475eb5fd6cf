// The server's limits and strictness, through raw sockets: what a client that does not
// behave gets. (tests/abuse runs the same attacks at scale against the binaries; these
// run in the sanitizer build.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "http/server.h"
#include "http/testing/http_test_util.h"

namespace ceems::http {
namespace {

using namespace std::chrono_literals;
using test_util::make_identity;
using test_util::TempDir;
using test_util::write_file;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Fd connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return Fd(-1);
  }
  return Fd(fd);
}

void send_all(const Fd& fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close first; what it answered is checked
    off += static_cast<size_t>(n);
  }
}

struct Received {
  std::string bytes;
  bool closed = false;  // the server closed (EOF or reset) before the deadline
};

// Reads until the server closes or the deadline passes.
Received read_until_close(const Fd& fd, std::chrono::milliseconds deadline) {
  Received r;
  const auto until = std::chrono::steady_clock::now() + deadline;
  char buf[65536];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return r;
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return r;
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) {
      r.closed = true;
      return r;
    }
    r.bytes.append(buf, static_cast<size_t>(n));
  }
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

class HttpServerLimits : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    o.listen_addresses = {"127.0.0.1:0"};
    auto s = Server::create(std::move(o), log::Logger("component", "limits_test"));
    ASSERT_TRUE(s.ok()) << s.error().message();
    server_ = std::move(*s);
    server_->route(
        "/metrics",
        [](const Request&) {
          return Response{200, "text/plain", "up 1\n"};
        },
        true);
    ASSERT_TRUE(server_->start().ok());
    port_ = server_->bound_ports()[0];
  }
  void TearDown() override {
    if (server_) server_->stop(5s);
  }
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(HttpServerLimits, OversizedHeadersGet431AndClose) {
  ServerOptions o;
  o.max_header_bytes = 4096;
  start(o);
  auto fd = connect_to(port_);
  send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(8000, 'a') + "\r\n\r\n");
  auto r = read_until_close(fd, 3s);
  EXPECT_EQ(r.bytes.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u) << r.bytes;
  EXPECT_TRUE(r.closed);
}

TEST_F(HttpServerLimits, MalformedRequestsGet400AndClose) {
  start(ServerOptions{});
  for (const std::string req : {
           "GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
           "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "GET /metrics HTTP/1.1\r\n\r\n",  // no Host
           "GET /me%zztrics HTTP/1.1\r\nHost: x\r\n\r\n",
           "\x01\x02 garbage\r\n\r\n",
       }) {
    auto fd = connect_to(port_);
    const auto t0 = std::chrono::steady_clock::now();
    send_all(fd, req);
    auto r = read_until_close(fd, 3s);
    EXPECT_EQ(r.bytes.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << req << " -> " << r.bytes;
    EXPECT_TRUE(r.closed) << req;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms) << req;
  }
}

TEST_F(HttpServerLimits, PipelinedRequestsAreAnsweredInOrder) {
  start(ServerOptions{});
  auto fd = connect_to(port_);
  send_all(fd,
           "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
           "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto r = read_until_close(fd, 3s);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(count(r.bytes, "HTTP/1.1 200 OK"), 2u) << r.bytes;
  const size_t first = r.bytes.find("HTTP/1.1 200 OK");
  const size_t not_found = r.bytes.find("HTTP/1.1 404 Not Found");
  const size_t last = r.bytes.rfind("HTTP/1.1 200 OK");
  EXPECT_LT(first, not_found);
  EXPECT_LT(not_found, last);
}

TEST_F(HttpServerLimits, SlowHeadersAreCutAtTheReadHeaderTimeout) {
  ServerOptions o;
  o.read_header_timeout = 300ms;
  start(o);
  auto fd = connect_to(port_);
  const auto t0 = std::chrono::steady_clock::now();
  send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
  auto r = read_until_close(fd, 5s);
  EXPECT_TRUE(r.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  // A well-behaved client still gets through.
  auto ok = connect_to(port_);
  send_all(ok, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read_until_close(ok, 3s).bytes.rfind("HTTP/1.1 200 OK", 0), 0u);
}

TEST_F(HttpServerLimits, IdleKeepAliveConnectionsAreClosed) {
  ServerOptions o;
  o.idle_timeout = 300ms;
  start(o);
  auto fd = connect_to(port_);
  send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto t0 = std::chrono::steady_clock::now();
  auto r = read_until_close(fd, 5s);
  EXPECT_EQ(r.bytes.rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_TRUE(r.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_F(HttpServerLimits, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  ServerOptions o;
  o.max_connections = 2;
  start(o);
  auto a = connect_to(port_);
  auto b = connect_to(port_);
  ASSERT_GE(a.get(), 0);
  std::this_thread::sleep_for(100ms);  // both accepted
  auto c = connect_to(port_);
  auto refused = read_until_close(c, 2s);
  EXPECT_TRUE(refused.closed);
  EXPECT_TRUE(refused.bytes.empty());
  // The open ones are served.
  send_all(b, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read_until_close(b, 3s).bytes.rfind("HTTP/1.1 200 OK", 0), 0u);
}

TEST_F(HttpServerLimits, OversizedBodyGets413) {
  start(ServerOptions{});
  auto fd = connect_to(port_);
  send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
  auto r = read_until_close(fd, 3s);
  EXPECT_EQ(r.bytes.rfind("HTTP/1.1 413", 0), 0u) << r.bytes;
  EXPECT_TRUE(r.closed);
}

TEST(HttpServerLimitsAuth, CredentialsAreCheckedBeforeTheBody) {
  TempDir dir;
  write_file(dir.file("web.yml"), "basic_auth_users:\n  alice: " + test_util::bcrypt_hash("s3cret") + "\n");
  ServerOptions o;
  o.listen_addresses = {"127.0.0.1:0"};
  o.web_config_file = dir.file("web.yml");
  auto s = Server::create(o, log::Logger());
  ASSERT_TRUE(s.ok());
  (*s)->route(
      "/metrics",
      [](const Request&) {
        return Response{200, "text/plain", "up 1\n"};
      },
      true);
  ASSERT_TRUE((*s)->start().ok());
  auto fd = connect_to((*s)->bound_ports()[0]);
  send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
  auto r = read_until_close(fd, 3s);
  EXPECT_EQ(r.bytes.rfind("HTTP/1.1 401 Unauthorized\r\n", 0), 0u) << r.bytes;
  EXPECT_NE(r.bytes.find("WWW-Authenticate: Basic"), std::string::npos);
  (*s)->stop(5s);
}

TEST(HttpServerLimitsTls, PlainHttpOnATlsPortGetsGosAnswer) {
  TempDir dir;
  make_identity("server", "IP:127.0.0.1").write(dir.file("server.crt"), dir.file("server.key"));
  write_file(dir.file("web.yml"), "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  ServerOptions o;
  o.listen_addresses = {"127.0.0.1:0"};
  o.web_config_file = dir.file("web.yml");
  o.tls_handshake_timeout = 300ms;
  auto s = Server::create(o, log::Logger());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->start().ok());
  const int port = (*s)->bound_ports()[0];

  auto plain = connect_to(port);
  send_all(plain, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = read_until_close(plain, 3s);
  EXPECT_EQ(r.bytes, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
  EXPECT_TRUE(r.closed);

  // A stalled handshake (half a record header) is cut at the handshake timeout.
  auto stalled = connect_to(port);
  send_all(stalled, std::string("\x16\x03\x01", 3));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(read_until_close(stalled, 5s).closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);

  // Neither stopped a real TLS client (no route: 404, over TLS).
  auto probe = test_util::tls_probe(port);
  EXPECT_TRUE(probe.handshake);
  EXPECT_EQ(probe.status_line, "HTTP/1.1 404 Not Found");
  (*s)->stop(5s);
}

}  // namespace
}  // namespace ceems::http
