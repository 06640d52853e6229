// Exact duplicate detection: column-at-a-time row hashes, then an
// open-addressing table of first occurrences probed with full comparisons.
#include "data/clean/duplicate_rows.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string_view>

namespace citadel::data {
namespace {

constexpr size_t kEmpty = static_cast<size_t>(-1);
constexpr uint64_t kMissingCell = 0x6d697373696e6721;  // any fixed value

// The splitmix64 finalizer: spreads every input bit over the output.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

// Equal cells must hash equally: every NaN and both zeros are normalised.
uint64_t FloatBits(double x) {
  if (std::isnan(x)) return 0x7ff8000000000000;
  if (x == 0) return 0;
  return std::bit_cast<uint64_t>(x);
}

void HashColumn(const Column& c, std::vector<uint64_t>& hashes) {
  const size_t rows = hashes.size();
  for (size_t r = 0; r < rows; ++r) {
    uint64_t cell = kMissingCell;
    if (c.is_valid(r)) {
      switch (c.type) {
        case ColumnType::kFloat:
          cell = FloatBits(c.floats[r]);
          break;
        case ColumnType::kString:
          cell = std::hash<std::string_view>()(c.strings[r]);
          break;
        default:
          cell = static_cast<uint64_t>(c.ints[r]);
          break;
      }
    }
    hashes[r] = Mix(hashes[r] * 0x9e3779b97f4a7c15 ^ Mix(cell));
  }
}

bool CellsEqual(const Column& c, size_t a, size_t b) {
  if (c.is_valid(a) != c.is_valid(b)) return false;
  if (!c.is_valid(a)) return true;
  switch (c.type) {
    case ColumnType::kFloat: {
      const double x = c.floats[a], y = c.floats[b];
      return x == y || (std::isnan(x) && std::isnan(y));
    }
    case ColumnType::kString:
      return c.strings[a] == c.strings[b];
    default:
      return c.ints[a] == c.ints[b];
  }
}

}  // namespace

std::vector<size_t> FirstEqualRows(std::span<const Column* const> columns, size_t rows) {
  std::vector<uint64_t> hashes(rows, 0);
  for (const Column* c : columns) HashColumn(*c, hashes);

  size_t capacity = 16;
  while (capacity < rows * 2) capacity *= 2;
  const size_t mask = capacity - 1;
  std::vector<size_t> slots(capacity, kEmpty);  // first row of each distinct key
  std::vector<size_t> first(rows);
  for (size_t r = 0; r < rows; ++r) {
    size_t i = hashes[r] & mask;
    while (true) {
      const size_t s = slots[i];
      if (s == kEmpty) {
        slots[i] = r;
        first[r] = r;
        break;
      }
      if (hashes[s] == hashes[r]) {
        bool equal = true;
        for (const Column* c : columns) {
          if (!CellsEqual(*c, s, r)) {
            equal = false;
            break;
          }
        }
        if (equal) {
          first[r] = s;
          break;
        }
      }
      i = (i + 1) & mask;
    }
  }
  return first;
}

Status CheckRowCount(std::span<const Column* const> columns, size_t rows) {
  for (const Column* c : columns) {
    const size_t stored = c->type == ColumnType::kFloat    ? c->floats.size()
                          : c->type == ColumnType::kString ? c->strings.size()
                                                           : c->ints.size();
    if (c->size() != rows || stored != rows) {
      return InternalError(fmt::format("column '{}' holds {} cells for {} rows", c->name,
                                       c->size() != rows ? c->size() : stored, rows));
    }
  }
  return Status::Ok();
}

}  // namespace citadel::data
