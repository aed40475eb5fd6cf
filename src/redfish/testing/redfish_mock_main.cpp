// redfish_mock_server: the test Redfish service as a program, for trying the
// collector and redfish_proxy without a BMC. Serves on 127.0.0.1 (free port, or
// --port), prints its URL, and stops by itself after --seconds (default 60) or on
// SIGINT/SIGTERM.
//
//   redfish_mock_server [--port N] [--seconds S] [--tls CERT KEY] [--user U --password P]
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "redfish/testing/redfish_mock.h"

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  using ceems::redfish::testing::RedfishMock;
  ceems::redfish::testing::RedfishMockOptions opts;
  int seconds = 60;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : std::string(); };
    if (a == "--seconds") {
      seconds = std::atoi(next().c_str());
    } else if (a == "--port") {
      port = std::atoi(next().c_str());
    } else if (a == "--tls") {
      opts.cert_file = next();
      opts.key_file = next();
    } else if (a == "--user") {
      opts.username = next();
    } else if (a == "--password") {
      opts.password = next();
    } else {
      std::fprintf(stderr, "usage: %s [--port N] [--seconds S] [--tls CERT KEY] [--user U --password P]\n",
                   argv[0]);
      return 2;
    }
  }
  opts.port = port;
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  try {
    RedfishMock mock(opts);
    std::printf("%s\n", mock.url().c_str());
    std::fflush(stdout);
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (g_stop == 0 && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    mock.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redfish_mock_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
