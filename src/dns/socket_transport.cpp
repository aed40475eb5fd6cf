#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "core/strings.h"
#include "dns/transport.h"

namespace ceems::dns {
namespace {

using Clock = std::chrono::steady_clock;

// The two-byte length prefix of TCP bounds every message.
constexpr size_t kMaxMessage = 65535;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error timeout_error() { return {ErrorKind::kTimeout, "i/o timeout"}; }

// Waits until fd is ready for events; timeout at the deadline. Readiness with an
// error condition counts as ready: the read or write that follows reports it.
Status wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return timeout_error();
    // Rounded up, so that poll does not wake just before the deadline and spin.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd p{.fd = fd, .events = events, .revents = 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(ms, INT_MAX)));
    if (n < 0 && errno != EINTR) return Error::from_errno(errno, "poll");
    if (n > 0) return Status::Ok();
  }
}

// Same id and the same question section (names without case): a datagram that
// is not the answer to this query is someone else's, late or forged.
bool answers(std::string_view reply, std::string_view query) {
  if (reply.size() < 2 || query.size() < 2 || reply.substr(0, 2) != query.substr(0, 2)) return false;
  if (query.size() <= 12) return true;
  if (reply.size() < query.size()) return false;
  return equals_ignoring_case(reply.substr(12, query.size() - 12), query.substr(12));
}

Result<int> open_socket(const NameServer& server, int type, Clock::time_point deadline) {
  sockaddr_storage addr{};
  auto len = server.address.to_sockaddr(server.port, addr);
  if (!len) return len.error();
  const int family = server.address.is_v4() ? AF_INET : AF_INET6;
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno(errno, "socket");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), *len) == 0) return fd;
  if (errno != EINPROGRESS) {
    const int err = errno;
    ::close(fd);
    return Error::from_errno(err, "connect");
  }
  // A TCP connection being set up.
  Status ready = wait_for(fd, POLLOUT, deadline);
  int err = 0;
  socklen_t err_len = sizeof err;
  if (ready && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
  if (!ready || err != 0) {
    ::close(fd);
    if (!ready) return ready.error();
    return Error::from_errno(err, "connect");
  }
  return fd;
}

Result<std::string> exchange_udp(const NameServer& server, std::string_view query,
                                 Clock::time_point deadline) {
  auto opened = open_socket(server, SOCK_DGRAM, deadline);
  if (!opened) return opened.error();
  const Fd fd(*opened);
  if (::send(fd.get(), query.data(), query.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(query.size())) {
    return Error::from_errno(errno, "write");
  }
  std::string buf(kMaxMessage, '\0');
  while (true) {
    if (Status ready = wait_for(fd.get(), POLLIN, deadline); !ready) return ready.error();
    const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return Error::from_errno(errno, "read");
    }
    if (!answers(std::string_view(buf.data(), static_cast<size_t>(n)), query)) continue;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
}

Status write_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Error::from_errno(errno, "write");
    if (Status ready = wait_for(fd, POLLOUT, deadline); !ready) return ready;
  }
  return Status::Ok();
}

Status read_exact(int fd, char* out, size_t size, Clock::time_point deadline) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::recv(fd, out + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return Error(ErrorKind::kIo, "read: connection closed by the server");
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return Error::from_errno(errno, "read");
    if (Status ready = wait_for(fd, POLLIN, deadline); !ready) return ready;
  }
  return Status::Ok();
}

Result<std::string> exchange_tcp(const NameServer& server, std::string_view query,
                                 Clock::time_point deadline) {
  if (query.size() > kMaxMessage) return invalid("DNS query of " + std::to_string(query.size()) + " bytes");
  auto opened = open_socket(server, SOCK_STREAM, deadline);
  if (!opened) return opened.error();
  const Fd fd(*opened);
  std::string framed;
  framed += static_cast<char>(query.size() >> 8);
  framed += static_cast<char>(query.size() & 0xff);
  framed += query;
  if (Status sent = write_all(fd.get(), framed, deadline); !sent) return sent.error();
  unsigned char prefix[2];
  if (Status got = read_exact(fd.get(), reinterpret_cast<char*>(prefix), 2, deadline); !got)
    return got.error();
  std::string reply(static_cast<size_t>(prefix[0] << 8 | prefix[1]), '\0');
  if (Status got = read_exact(fd.get(), reply.data(), reply.size(), deadline); !got) return got.error();
  if (!answers(reply, query)) return invalid("DNS reply over TCP answers another query");
  return reply;
}

class SocketTransport final : public DnsTransport {
 public:
  Result<std::string> exchange(const NameServer& server, std::string_view query, bool tcp,
                               Clock::time_point deadline) override {
    if (Clock::now() >= deadline) return timeout_error();
    return tcp ? exchange_tcp(server, query, deadline) : exchange_udp(server, query, deadline);
  }
};

}  // namespace

DnsTransport& socket_transport() {
  static SocketTransport transport;
  return transport;
}

}  // namespace ceems::dns
