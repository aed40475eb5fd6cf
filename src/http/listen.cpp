#include "http/listen.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/strings.h"
#include "dns/resolver.h"
#include "http/wire.h"

namespace ceems::http {
namespace {

constexpr int kFirstSystemdFd = 3;

std::string sockaddr_text(const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  if (sa->sa_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
    return std::string(un->sun_path[0] == '\0' ? "@" : "") +
           (un->sun_path[0] == '\0' ? un->sun_path + 1 : un->sun_path);
  }
  return "?";
}

// Returns the fd, or -errno.
int bind_one(int family, const sockaddr* addr, socklen_t len, std::string& failed_step) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    failed_step = "socket";
    return -errno;
  }
  const int one = 1;
  // Like Go: a restarted exporter can rebind while old connections sit in TIME_WAIT.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) {
    const int zero = 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (::bind(fd, addr, len) != 0) {
    const int err = errno;
    ::close(fd);
    failed_step = "bind";
    return -err;
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    const int err = errno;
    ::close(fd);
    failed_step = "listen";
    return -err;
  }
  return fd;
}

}  // namespace

Result<ListenAddress> parse_listen_address(std::string_view s) {
  ListenAddress a;
  a.text = std::string(s);
  std::string_view host;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos) {
      return invalid("listen address " + quote_for_error(s) + ": missing ']'");
    }
    host = s.substr(1, close - 1);
    std::string_view rest = s.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return invalid("listen address " + quote_for_error(s) + ": missing port in address");
    }
    port = rest.substr(1);
    if (host.find(':') == std::string_view::npos) {
      // "[host]:port" is legal in Go for any host; keep it but nothing more exotic.
      if (host.find_first_of("[]") != std::string_view::npos) {
        return invalid("listen address " + quote_for_error(s) + ": unexpected '[' or ']'");
      }
    }
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      return invalid("listen address " + quote_for_error(s) + ": missing port in address");
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return invalid("listen address " + quote_for_error(s) + ": too many colons in address (use [v6]:port)");
    }
    if (host.find_first_of("[]") != std::string_view::npos) {
      return invalid("listen address " + quote_for_error(s) + ": unexpected '[' or ']'");
    }
  }
  auto p = parse_u64(port);
  if (port.empty() || !p || *p > 65535 || port.find_first_not_of("0123456789") != std::string_view::npos) {
    return invalid("listen address " + quote_for_error(s) + ": invalid port " + quote_for_error(port));
  }
  a.host = std::string(host);
  a.port = static_cast<int>(*p);
  return a;
}

Result<int> bind_listener(const ListenAddress& address) {
  const std::string prefix = "listen tcp " + address.text + ": ";
  std::string step;
  if (address.host.empty()) {
    sockaddr_in6 any6{};
    any6.sin6_family = AF_INET6;
    any6.sin6_addr = in6addr_any;
    any6.sin6_port = htons(static_cast<uint16_t>(address.port));
    int fd = bind_one(AF_INET6, reinterpret_cast<const sockaddr*>(&any6), sizeof any6, step);
    if (fd >= 0) return fd;
    // Only a missing IPv6 stack justifies falling back; "address in use" must surface.
    if (fd != -EAFNOSUPPORT && fd != -EADDRNOTAVAIL && fd != -EPROTONOSUPPORT) {
      return Error::from_errno(-fd, prefix + step);
    }
    sockaddr_in any4{};
    any4.sin_family = AF_INET;
    any4.sin_addr.s_addr = htonl(INADDR_ANY);
    any4.sin_port = htons(static_cast<uint16_t>(address.port));
    fd = bind_one(AF_INET, reinterpret_cast<const sockaddr*>(&any4), sizeof any4, step);
    if (fd >= 0) return fd;
    return Error::from_errno(-fd, prefix + step);
  }

  // The project's resolver rather than getaddrinfo: a static binary has no NSS.
  const auto addresses = dns::make_system_resolver()->lookup_host(
      address.host, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  if (!addresses) return Error(ErrorKind::kInvalid, prefix + addresses.error().message());
  int last_err = EADDRNOTAVAIL;
  // Go listens on one address of a host name, preferring IPv4.
  for (int pass = 0; pass < 2; ++pass) {
    for (const dns::IpAddress& ip : *addresses) {
      if ((pass == 0) != ip.is_v4()) continue;
      sockaddr_storage ss{};
      const auto len = ip.to_sockaddr(static_cast<uint16_t>(address.port), ss);
      if (!len) {
        last_err = EINVAL;
        continue;
      }
      const int fd = bind_one(ss.ss_family, reinterpret_cast<const sockaddr*>(&ss), *len, step);
      if (fd >= 0) return fd;
      last_err = -fd;
    }
  }
  return Error::from_errno(last_err, prefix + (step.empty() ? "bind" : step));
}

Result<std::vector<int>> systemd_listeners() {
  const char* pid_env = std::getenv("LISTEN_PID");
  const char* fds_env = std::getenv("LISTEN_FDS");
  if (pid_env == nullptr || fds_env == nullptr) {
    return invalid("no socket activation file descriptors found (LISTEN_PID/LISTEN_FDS not set)");
  }
  const auto pid = parse_u64(pid_env);
  const auto count = parse_u64(fds_env);
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!pid || static_cast<pid_t>(*pid) != ::getpid()) {
    return invalid("no socket activation file descriptors found (LISTEN_PID is not this process)");
  }
  if (!count || *count == 0 || *count > 1024) {
    return invalid("no socket activation file descriptors found (LISTEN_FDS=" + quote_for_error(fds_env) +
                   ")");
  }
  std::vector<int> fds;
  for (int fd = kFirstSystemdFd; fd < kFirstSystemdFd + static_cast<int>(*count); ++fd) {
    int type = 0;
    int listening = 0;
    socklen_t len = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
      return invalid("systemd socket fd " + std::to_string(fd) + " is not a stream socket");
    }
    len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening == 0) {
      return invalid("systemd socket fd " + std::to_string(fd) + " is not listening");
    }
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    fds.push_back(fd);
  }
  return fds;
}

int socket_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port);
  return 0;
}

PeerAddress peer_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return {buf, ntohs(in->sin_port)};
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return {unmap_ipv4(buf), ntohs(in6->sin6_port)};
  }
  return {"@", 0};
}

int socket_family(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return AF_INET;
  return ss.ss_family;
}

std::string socket_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  return sockaddr_text(reinterpret_cast<const sockaddr*>(&ss));
}

}  // namespace ceems::http
