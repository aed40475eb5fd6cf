// Shared by every libFuzzer target: turns the raw input into a string_view and
// gives one macro to define the entry point, so each target is a single call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#define CEEMS_FUZZ_TARGET(body_fn)                                          \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    body_fn(std::string_view(reinterpret_cast<const char*>(data), size));   \
    return 0;                                                               \
  }
