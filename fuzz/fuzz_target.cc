// The libFuzzer entry point, compiled once per target with
// CITADEL_FUZZ_HARNESS naming the harness function it calls.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "harness/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  citadel::fuzz::CITADEL_FUZZ_HARNESS(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
