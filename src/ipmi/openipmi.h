// In-band IPMI through the Linux OpenIPMI character device (/dev/ipmi0...): one
// request/response exchange per call, plus the two requests built on it (DCMI power
// reading, BMC LAN IP discovery).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"
#include "ipmi/dcmi.h"

namespace ceems::ipmi {

// Seam between the request logic and the kernel, so that tests substitute a fake BMC.
class IpmiTransport {
 public:
  virtual ~IpmiTransport() = default;
  // Sends one request to the BMC and returns the response data with the completion
  // code in byte 0. Fails on send/receive errors or when no response arrives in time.
  virtual Result<std::vector<uint8_t>> exchange(uint8_t netfn, uint8_t cmd, std::span<const uint8_t> data,
                                                std::chrono::milliseconds timeout) = 0;
  // Releases the underlying device; later exchanges fail.
  virtual Status close() { return Status::Ok(); }
};

// The OpenIPMI device. Opened once (at collector construction, while the exporter still
// has its start-up privileges; /dev/ipmi0 is normally root-only) and kept open.
class OpenIpmiDevice final : public IpmiTransport {
 public:
  // Opens the first of <dev_dir>/ipmiN, <dev_dir>/ipmi/N, <dev_dir>/ipmidev/N read-only
  // and enables event reception (as ipmitool does). dev_dir is a test seam.
  static Result<std::unique_ptr<OpenIpmiDevice>> open(int64_t dev_num, const log::Logger& logger,
                                                      const std::string& dev_dir = "/dev");
  ~OpenIpmiDevice() override;
  OpenIpmiDevice(const OpenIpmiDevice&) = delete;
  OpenIpmiDevice& operator=(const OpenIpmiDevice&) = delete;

  // Serialised: the kernel routes responses by msgid per open file, and concurrent
  // callers would otherwise consume each other's responses. Messages that are not a
  // response to this request (events, stale responses of a timed-out request) are
  // skipped until the timeout.
  Result<std::vector<uint8_t>> exchange(uint8_t netfn, uint8_t cmd, std::span<const uint8_t> data,
                                        std::chrono::milliseconds timeout) override;

  // Closes the descriptor; later exchanges fail. Idempotent.
  Status close() override;
  const std::string& path() const { return path_; }

 private:
  OpenIpmiDevice(int fd, std::string path, log::Logger logger);

  std::mutex mu_;
  int fd_;
  long last_msgid_ = 0;  // the kernel's msgid type; incremented per exchange
  std::string path_;
  log::Logger logger_;
};

inline constexpr std::chrono::milliseconds kIpmiRequestTimeout{1000};

// DCMI Get Power Reading (system power statistics) via the transport.
Result<DcmiPowerReading> read_power(IpmiTransport& transport,
                                    std::chrono::milliseconds timeout = kIpmiRequestTimeout);

// IPv4 address of the BMC's LAN channel 1 (what `ipmitool lan print 1` shows), dotted
// decimal. A BMC rejecting the request gives an error, never a made-up "0.0.0.0".
Result<std::string> discover_bmc_ip(IpmiTransport& transport);

// Opens device 0 (the reference ignores --collector.ipmi_dcmi.dev-num here), asks for
// the LAN IP and closes the device again. For the Redfish collector's host discovery.
Result<std::string> discover_bmc_ip_from_device(const log::Logger& logger);

}  // namespace ceems::ipmi
