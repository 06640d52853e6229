// Test-only column builders that data/testing/table_fixtures.h lacks (bool
// and timestamp columns), shared by the expr, clean and validate tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/table/column.h"

namespace citadel::data::testing {

inline Column BoolColumn(std::string name, std::vector<std::optional<bool>> cells) {
  Column c = Column::Empty(name, ColumnType::kBool, {name});
  for (const auto& x : cells) x ? c.Append(int64_t{*x ? 1 : 0}) : c.AppendMissing();
  return c;
}

// Microseconds of an ISO 8601 text; fails the test when it does not parse.
inline int64_t Micros(std::string_view text) {
  std::optional<int64_t> t = ParseTimestamp(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(0);
}

// Cells as ISO 8601 text, std::nullopt for missing.
inline Column TimestampColumn(std::string name, std::vector<std::optional<std::string>> cells) {
  Column c = Column::Empty(name, ColumnType::kTimestamp, {name});
  for (const auto& x : cells) x ? c.Append(Micros(*x)) : c.AppendMissing();
  return c;
}

}  // namespace citadel::data::testing
