#include "base/ids.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

#include "base/time.h"

namespace citadel {

std::string NewUuidV7() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static uint64_t last_ms = 0;
  static uint16_t sequence = 0;

  uint64_t ms = static_cast<uint64_t>(NowUnixMillis());
  uint16_t rand_a;
  uint64_t rand_b;
  {
    std::lock_guard lock(mu);
    // Within the same millisecond, count up in rand_a so ids stay ordered.
    if (ms <= last_ms) {
      ms = last_ms;
      sequence = static_cast<uint16_t>((sequence + 1) & 0x0fff);
    } else {
      sequence = static_cast<uint16_t>(rng() & 0x07ff);
    }
    last_ms = ms;
    rand_a = sequence;
    rand_b = rng();
  }
  std::array<uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | ((rand_a >> 8) & 0x0f));
  b[7] = static_cast<uint8_t>(rand_a & 0xff);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<uint8_t>(rand_b >> (56 - 8 * i));
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3f));
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
      b[15]);
}

}  // namespace citadel
