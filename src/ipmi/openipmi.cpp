#include "ipmi/openipmi.h"

#include <fcntl.h>
#include <linux/ipmi.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace ceems::ipmi {
namespace {

using Clock = std::chrono::steady_clock;

// The driver never returns more than IPMI_MAX_MSG_LENGTH bytes; the larger buffer
// makes truncation impossible.
constexpr size_t kReceiveBufferSize = 1024;

}  // namespace

Result<std::unique_ptr<OpenIpmiDevice>> OpenIpmiDevice::open(int64_t dev_num, const log::Logger& logger,
                                                             const std::string& dev_dir) {
  const std::string n = std::to_string(dev_num);
  const std::string candidates[] = {dev_dir + "/ipmi" + n, dev_dir + "/ipmi/" + n, dev_dir + "/ipmidev/" + n};
  int fd = -1;
  std::string found;
  int last_err = ENOENT;
  std::string last_path;
  for (const auto& path : candidates) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      found = path;
      break;
    }
    if (errno != ENOENT && errno != ENOTDIR) {
      last_err = errno;
      last_path = path;
    }
  }
  if (fd < 0) {
    // A device that exists but cannot be opened is worth naming: it is a privilege
    // problem, not a host without a BMC.
    if (last_err != ENOENT) {
      return Error::from_errno(last_err, "no IPMI device found on the host (" + last_path + ")");
    }
    return Error(ErrorKind::kNotFound, "no IPMI device found on the host (tried " + candidates[0] + ", " +
                                           candidates[1] + ", " + candidates[2] +
                                           "; is the ipmi_devintf kernel module loaded?)");
  }
  logger.debug("IPMI device found", {{"path", found}});

  int enable = 1;
  if (::ioctl(fd, IPMICTL_SET_GETS_EVENTS_CMD, &enable) < 0) {
    int err = errno;
    ::close(fd);
    return Error::from_errno(err, "failed to enable IPMI event receiver");
  }
  return std::unique_ptr<OpenIpmiDevice>(new OpenIpmiDevice(fd, found, logger));
}

OpenIpmiDevice::OpenIpmiDevice(int fd, std::string path, log::Logger logger)
    : fd_(fd), path_(std::move(path)), logger_(std::move(logger)) {}

OpenIpmiDevice::~OpenIpmiDevice() { (void)close(); }

Status OpenIpmiDevice::close() {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Status::Ok();
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Error::from_errno(errno, "failed to close IPMI device " + path_);
  return Status::Ok();
}

Result<std::vector<uint8_t>> OpenIpmiDevice::exchange(uint8_t netfn, uint8_t cmd,
                                                      std::span<const uint8_t> data,
                                                      std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  if (fd_ < 0) return Error(ErrorKind::kIo, "IPMI device " + path_ + " is closed");
  if (data.size() > IPMI_MAX_MSG_LENGTH) return invalid("IPMI request data too long");

  ipmi_system_interface_addr addr{};
  addr.addr_type = IPMI_SYSTEM_INTERFACE_ADDR_TYPE;
  addr.channel = IPMI_BMC_CHANNEL;
  addr.lun = 0;
  // The kernel only reads the request data, but the struct wants a mutable pointer.
  std::vector<uint8_t> payload(data.begin(), data.end());

  ipmi_req req{};
  req.addr = reinterpret_cast<unsigned char*>(&addr);
  req.addr_len = sizeof addr;
  req.msgid = ++last_msgid_;
  req.msg.netfn = netfn;
  req.msg.cmd = cmd;
  req.msg.data_len = static_cast<unsigned short>(payload.size());
  req.msg.data = payload.empty() ? nullptr : payload.data();
  if (::ioctl(fd_, IPMICTL_SEND_COMMAND, &req) < 0) {
    return Error::from_errno(errno, "failed to send IPMI request");
  }

  const auto deadline = Clock::now() + timeout;
  std::array<uint8_t, kReceiveBufferSize> buf{};
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Error(ErrorKind::kTimeout, "no response received from IPMI device interface");
    pollfd pfd{fd_, POLLIN, 0};
    int pr = ::poll(&pfd, 1, static_cast<int>(left));
    if (pr < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno(errno, "failed to receive response from IPMI device interface");
    }
    if (pr == 0) return Error(ErrorKind::kTimeout, "no response received from IPMI device interface");

    ipmi_addr raddr{};
    ipmi_recv recv{};
    recv.addr = reinterpret_cast<unsigned char*>(&raddr);
    recv.addr_len = sizeof raddr;
    recv.msg.data = buf.data();
    recv.msg.data_len = static_cast<unsigned short>(buf.size());
    if (::ioctl(fd_, IPMICTL_RECEIVE_MSG_TRUNC, &recv) < 0) {
      // Readable but nothing queued (another reader raced us): wait again.
      if (errno == EAGAIN || errno == EINTR) continue;
      return Error::from_errno(errno, "failed to read response from IPMI device interface");
    }
    if (recv.recv_type != IPMI_RESPONSE_RECV_TYPE) {
      // Events are enabled at open, so asynchronous messages share the queue.
      logger_.debug("Skipping IPMI message that is not a response", {{"recv_type", recv.recv_type}});
      continue;
    }
    if (recv.msgid != req.msgid) {
      // A late response to an earlier, timed-out request.
      logger_.debug("Skipping IPMI response with unexpected id",
                    {{"id", static_cast<int64_t>(recv.msgid)}, {"want", static_cast<int64_t>(req.msgid)}});
      continue;
    }
    size_t len = std::min<size_t>(recv.msg.data_len, buf.size());
    return std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len));
  }
}

Result<DcmiPowerReading> read_power(IpmiTransport& transport, std::chrono::milliseconds timeout) {
  IpmiRequest req = power_reading_request();
  auto resp = transport.exchange(req.netfn, req.cmd, req.data, timeout);
  if (!resp) return resp.error();
  return decode_power_reading(*resp);
}

Result<std::string> discover_bmc_ip(IpmiTransport& transport) {
  IpmiRequest req = lan_ip_request(1);
  auto resp = transport.exchange(req.netfn, req.cmd, req.data, kIpmiRequestTimeout);
  if (!resp) return resp.error();
  return decode_lan_ip(*resp);
}

Result<std::string> discover_bmc_ip_from_device(const log::Logger& logger) {
  auto dev = OpenIpmiDevice::open(0, logger);
  if (!dev) return dev.error();
  auto ip = discover_bmc_ip(**dev);
  if (auto st = (*dev)->close(); !st) logger.warn("Failed to close IPMI device", {{"err", st.error()}});
  return ip;
}

}  // namespace ceems::ipmi
