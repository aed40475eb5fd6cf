// The socket transport against a tiny DNS server on 127.0.0.1 run by the test.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "dns/message.h"
#include "dns/testing/dns_wire.h"
#include "dns/transport.h"

namespace ceems::dns {
namespace {

using testing::a_rr;
using ::testing::HasSubstr;
using testing::reply;
using testing::Rr;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Answers by question name on one UDP and one TCP port (the same number):
//   fast.test.    A 192.0.2.1
//   big.test.     over UDP only a truncated reply; over TCP 100 A records
//   silent.test.  never answers (over TCP: reads the query, keeps the connection)
//   forged.test.  over UDP first a reply with another id, then one to another
//                 question, then the answer
// It stops when the test ends, and by itself after 20 seconds.
class TinyDnsServer {
 public:
  TinyDnsServer() {
    for (int attempt = 0; attempt < 20 && port_ == 0; ++attempt) open_sockets();
    thread_ = std::thread([this] { run(); });
  }
  ~TinyDnsServer() {
    stop_ = true;
    thread_.join();
    for (int fd : held_) ::close(fd);
    ::close(udp_);
    ::close(tcp_);
  }
  TinyDnsServer(const TinyDnsServer&) = delete;
  TinyDnsServer& operator=(const TinyDnsServer&) = delete;

  NameServer server() const { return NameServer{*IpAddress::parse("127.0.0.1"), port_}; }

 private:
  void open_sockets() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    udp_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof addr;
    if (::bind(udp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(udp_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(udp_);
      return;
    }
    tcp_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::bind(tcp_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(tcp_, 8) != 0) {
      // Another program holds this port number for TCP: try another.
      ::close(udp_);
      ::close(tcp_);
      return;
    }
    port_ = ntohs(addr.sin_port);
  }

  static std::string answer(std::string_view query, bool tcp) {
    auto q = testing::parse_question(query);
    if (!q) return "";
    if (q->name == "fast.test.") return reply(query, {a_rr("fast.test", "192.0.2.1")});
    if (q->name == "big.test.") {
      if (!tcp) return reply(query, {}, {.truncated = true});
      std::vector<Rr> many;
      for (int i = 0; i < 100; ++i) many.push_back(a_rr("big.test", "198.51.100." + std::to_string(i)));
      return reply(query, many);
    }
    return "";
  }

  void serve_udp() {
    char buf[1500];
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const ssize_t n = ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer), &peer_len);
    if (n <= 0) return;
    const std::string_view query(buf, static_cast<size_t>(n));
    const auto send = [&](const std::string& m) {
      ::sendto(udp_, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_len);
    };
    auto q = testing::parse_question(query);
    if (q && q->name == "forged.test.") {
      std::string wrong_id = reply(query, {a_rr("forged.test", "203.0.113.66")});
      wrong_id[1] = static_cast<char>(wrong_id[1] ^ 0x5a);
      send(wrong_id);
      auto other = build_query("other.test", QueryType::kA, q->id);
      send(reply(other->wire, {a_rr("other.test", "203.0.113.67")}));
      send(reply(query, {a_rr("forged.test", "192.0.2.3")}));
      return;
    }
    const std::string m = answer(query, false);
    if (!m.empty()) send(m);
  }

  void serve_tcp() {
    const int fd = ::accept4(tcp_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const timeval tv{.tv_sec = 2, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    unsigned char prefix[2];
    std::string query;
    if (::recv(fd, prefix, 2, MSG_WAITALL) == 2) {
      query.resize(static_cast<size_t>(prefix[0] << 8 | prefix[1]));
      if (::recv(fd, query.data(), query.size(), MSG_WAITALL) != static_cast<ssize_t>(query.size()))
        query.clear();
    }
    const std::string m = answer(query, true);
    if (m.empty()) {
      held_.push_back(fd);  // silent: the client waits for its deadline
      return;
    }
    std::string framed = {static_cast<char>(m.size() >> 8), static_cast<char>(m.size() & 0xff)};
    framed += m;
    ::send(fd, framed.data(), framed.size(), MSG_NOSIGNAL);
    ::close(fd);
  }

  void run() {
    const auto give_up = Clock::now() + std::chrono::seconds(20);
    while (!stop_ && Clock::now() < give_up) {
      pollfd fds[2] = {{.fd = udp_, .events = POLLIN, .revents = 0},
                       {.fd = tcp_, .events = POLLIN, .revents = 0}};
      if (::poll(fds, 2, 50) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) serve_udp();
      if ((fds[1].revents & POLLIN) != 0) serve_tcp();
    }
  }

  int udp_ = -1;
  int tcp_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  std::thread thread_;
};

class DnsSocketTransport : public ::testing::Test {
 protected:
  Result<DnsResponse> ask(std::string_view name, bool tcp, milliseconds within = milliseconds(2000)) {
    auto q = build_query(name, QueryType::kA, random_query_id());
    auto reply = socket_transport().exchange(server_.server(), q->wire, tcp, Clock::now() + within);
    if (!reply) return reply.error();
    return parse_response(*reply, *q);
  }

  TinyDnsServer server_;
};

TEST_F(DnsSocketTransport, AnswersOverUdpAndTcp) {
  for (const bool tcp : {false, true}) {
    auto r = ask("fast.test", tcp);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r->addresses.size(), 1u);
    EXPECT_EQ(r->addresses[0].to_string(), "192.0.2.1");
  }
}

TEST_F(DnsSocketTransport, TruncatedOverUdpWholeOverTcp) {
  auto udp = ask("big.test", false);
  ASSERT_TRUE(udp.ok()) << udp.error().message();
  EXPECT_TRUE(udp->truncated);
  auto tcp = ask("big.test", true);
  ASSERT_TRUE(tcp.ok()) << tcp.error().message();
  EXPECT_FALSE(tcp->truncated);
  ASSERT_EQ(tcp->addresses.size(), 100u);
  EXPECT_EQ(tcp->addresses[99].to_string(), "198.51.100.99");
}

TEST_F(DnsSocketTransport, IgnoresRepliesToAnotherQuery) {
  auto r = ask("forged.test", false);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->addresses.size(), 1u);
  EXPECT_EQ(r->addresses[0].to_string(), "192.0.2.3");
}

TEST_F(DnsSocketTransport, TheDeadlineHolds) {
  for (const bool tcp : {false, true}) {
    const auto start = Clock::now();
    auto r = ask("silent.test", tcp, milliseconds(300));
    const auto took = Clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
    EXPECT_EQ(r.error().message(), "i/o timeout");
    EXPECT_GE(took, milliseconds(300));
    EXPECT_LT(took, milliseconds(1500)) << (tcp ? "tcp" : "udp");
  }
  // A deadline already passed sends nothing.
  auto q = build_query("fast.test", QueryType::kA, 1);
  auto late = socket_transport().exchange(server_.server(), q->wire, false, Clock::now());
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind(), ErrorKind::kTimeout);
}

TEST_F(DnsSocketTransport, RefusedPortsFailAtOnce) {
  // A port nobody listens on: bound, read and released again.
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  const NameServer closed{*IpAddress::parse("127.0.0.1"), ntohs(addr.sin_port)};
  auto q = build_query("fast.test", QueryType::kA, 7);
  const auto start = Clock::now();
  auto udp = socket_transport().exchange(closed, q->wire, false, Clock::now() + milliseconds(2000));
  ASSERT_FALSE(udp.ok());
  EXPECT_THAT(udp.error().message(), HasSubstr("refused"));
  auto tcp = socket_transport().exchange(closed, q->wire, true, Clock::now() + milliseconds(2000));
  ASSERT_FALSE(tcp.ok());
  EXPECT_THAT(tcp.error().message(), HasSubstr("connect: Connection refused"));
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
}

}  // namespace
}  // namespace ceems::dns
