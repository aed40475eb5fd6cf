// A scripted BMC for tests: records every request and answers from a queue.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "ipmi/openipmi.h"

namespace ceems::ipmi {

class FakeTransport : public IpmiTransport {
 public:
  struct Request {
    uint8_t netfn;
    uint8_t cmd;
    std::vector<uint8_t> data;
    std::chrono::milliseconds timeout;
  };

  Result<std::vector<uint8_t>> exchange(uint8_t netfn, uint8_t cmd, std::span<const uint8_t> data,
                                        std::chrono::milliseconds timeout) override {
    requests.push_back({netfn, cmd, {data.begin(), data.end()}, timeout});
    if (closed) return Error(ErrorKind::kIo, "closed");
    if (responses.empty())
      return Error(ErrorKind::kTimeout, "no response received from IPMI device interface");
    auto r = std::move(responses.front());
    responses.pop_front();
    return r;
  }
  Status close() override {
    closed = true;
    ++close_calls;
    return Status::Ok();
  }

  void respond(std::vector<uint8_t> bytes) { responses.emplace_back(std::move(bytes)); }
  void fail(Error e) { responses.emplace_back(std::move(e)); }

  std::deque<Result<std::vector<uint8_t>>> responses;
  std::vector<Request> requests;
  bool closed = false;
  int close_calls = 0;
};

// A power reading response as a BMC sends it (completion code first).
inline std::vector<uint8_t> power_response(uint16_t cur, uint16_t min, uint16_t max, uint16_t avg,
                                           uint8_t state = 0x40) {
  auto lo = [](uint16_t v) { return static_cast<uint8_t>(v & 0xff); };
  auto hi = [](uint16_t v) { return static_cast<uint8_t>(v >> 8); };
  return {0x00, 0xDC, lo(cur), hi(cur), lo(min), hi(min), lo(max), hi(max), lo(avg), hi(avg),
          0x78, 0x56, 0x34,    0x12,    0xE8,    0x03,    0x00,    0x00,    state};
}

}  // namespace ceems::ipmi
