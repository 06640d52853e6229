// A seeded random source whose sequence is the same on every platform and
// standard library: splits and data order must reproduce bit for bit, which
// std::uniform_int_distribution and std::shuffle do not promise.
#pragma once

#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace citadel {

class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) : engine_(seed) {}

  uint64_t Next() { return engine_(); }

  // Uniform in [0, n), n > 0, without modulo bias (rejection sampling).
  uint64_t Below(uint64_t n) {
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }

  // Fisher–Yates.
  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(Below(i));
      std::swap(items[i - 1], items[j]);
    }
  }

  // The generator's full state as text (the standard's stream format, so it
  // is the same on every platform); Restore() continues the sequence exactly
  // where State() was taken. Checkpoints save it.
  std::string State() const {
    std::ostringstream out;
    out << engine_;
    return out.str();
  }
  // false (and the generator unchanged) when `state` is not one State() made.
  bool Restore(const std::string& state) {
    std::istringstream in(state);
    std::mt19937_64 engine;
    in >> engine;
    if (in.fail()) return false;
    in >> std::ws;
    if (!in.eof()) return false;
    engine_ = engine;
    return true;
  }

 private:
  std::mt19937_64 engine_;  // sequence fixed by the C++ standard
};

}  // namespace citadel
