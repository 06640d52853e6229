// Vec: the value of one expression node over all rows (or one value standing
// for all rows), as the evaluator passes it between nodes. Internal to
// src/data/expr.
//
// A Vec either borrows storage (a table column, a constant in the tree) or
// owns it; the spans always point at the data. Moving a Vec keeps its spans
// valid because moving a std::vector hands over its buffer; copying is
// disabled so no span can point into a copy's source.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "data/expr/binder.h"

namespace citadel::data::expr {

struct Vec {
  VType type = VType::kNull;
  bool scalar = true;                    // one value for every row
  std::span<const int64_t> ints;         // kInt, kBool (0 / 1), kTimestamp (µs)
  std::span<const double> floats;        // kFloat
  std::span<const std::string> strings;  // kString
  std::span<const uint8_t> valid;        // empty: every row present

  Vec() = default;
  Vec(Vec&&) noexcept = default;
  Vec& operator=(Vec&&) noexcept = default;
  Vec(const Vec&) = delete;
  Vec& operator=(const Vec&) = delete;

  size_t stride() const { return scalar ? 0 : 1; }
  bool present(size_t row) const { return valid.empty() || valid[row * stride()] != 0; }

  void Own(std::vector<int64_t> v) {
    own_ints_ = std::move(v);
    ints = own_ints_;
  }
  void Own(std::vector<double> v) {
    own_floats_ = std::move(v);
    floats = own_floats_;
  }
  void Own(std::vector<std::string> v) {
    own_strings_ = std::move(v);
    strings = own_strings_;
  }
  void OwnValid(std::vector<uint8_t> v) {
    own_valid_ = std::move(v);
    valid = own_valid_;
  }

 private:
  std::vector<int64_t> own_ints_;
  std::vector<double> own_floats_;
  std::vector<std::string> own_strings_;
  std::vector<uint8_t> own_valid_;
};

// Indexed access that repeats a scalar for every row.
template <typename T>
struct Cells {
  const T* data;
  size_t stride;
  const T& operator[](size_t row) const { return data[row * stride]; }
};

template <typename T>
Cells<T> CellsOf(std::span<const T> values, bool scalar) {
  return {values.data(), scalar ? size_t{0} : size_t{1}};
}

// A scalar that is missing in every row; every representation holds one
// zero cell so that any kernel may read it.
inline Vec NullVec() {
  Vec v;
  v.Own(std::vector<int64_t>{0});
  v.Own(std::vector<double>{0.0});
  v.Own(std::vector<std::string>{std::string()});
  v.OwnValid({0});
  return v;
}

// Rows of a result over `inputs`: 1 when all are scalars.
inline size_t RowsOf(size_t n, std::span<const Vec* const> inputs) {
  for (const Vec* v : inputs) {
    if (!v->scalar) return n;
  }
  return 1;
}
inline size_t RowsOf(size_t n, std::initializer_list<const Vec*> inputs) {
  return RowsOf(n, std::span<const Vec* const>(inputs.begin(), inputs.size()));
}

// Validity of a result that needs every input present; empty when all are.
inline std::vector<uint8_t> AllPresent(size_t rows, std::span<const Vec* const> inputs) {
  std::vector<uint8_t> out;
  bool started = false;
  for (const Vec* v : inputs) {
    if (v->valid.empty()) continue;
    Cells<uint8_t> cells = CellsOf(v->valid, v->scalar);
    if (!started) {
      started = true;
      out.resize(rows);
      for (size_t r = 0; r < rows; ++r) out[r] = cells[r];
    } else {
      for (size_t r = 0; r < rows; ++r) out[r] &= cells[r];
    }
  }
  return out;
}
inline std::vector<uint8_t> AllPresent(size_t rows, std::initializer_list<const Vec*> inputs) {
  return AllPresent(rows, std::span<const Vec* const>(inputs.begin(), inputs.size()));
}

// The numbers of `v` as doubles: borrowed when they are floats, converted
// into `buffer` otherwise.
inline std::span<const double> Doubles(const Vec& v, std::vector<double>& buffer) {
  if (v.type == VType::kFloat) return v.floats;
  buffer.resize(v.ints.size());
  for (size_t i = 0; i < v.ints.size(); ++i) buffer[i] = static_cast<double>(v.ints[i]);
  return buffer;
}

// A result of `rows` values (RowsOf), present where every input is.
template <typename T>
Vec MakeVec(VType type, size_t rows, std::vector<T> values, std::span<const Vec* const> inputs) {
  Vec out;
  out.type = type;
  out.scalar = RowsOf(2, inputs) == 1;
  out.OwnValid(AllPresent(rows, inputs));
  out.Own(std::move(values));
  return out;
}
template <typename T>
Vec MakeVec(VType type, size_t rows, std::vector<T> values,
            std::initializer_list<const Vec*> inputs) {
  return MakeVec(type, rows, std::move(values),
                 std::span<const Vec* const>(inputs.begin(), inputs.size()));
}

}  // namespace citadel::data::expr
