// Test-only helpers for the numeric op tests: columns of the types the
// shared fixtures lack, checking an error's message, and running an op
// written as YAML through fit → store → reload → apply in one call.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "data/testing/table_fixtures.h"

namespace citadel::data::numeric_test {

inline Column BoolColumn(std::string name, std::vector<std::optional<bool>> cells) {
  Column c = Column::Empty(name, ColumnType::kBool, {name});
  for (const auto& x : cells) x ? c.Append(int64_t{*x ? 1 : 0}) : c.AppendMissing();
  return c;
}

inline Column TimestampColumn(std::string name, std::vector<std::optional<int64_t>> micros) {
  Column c = Column::Empty(name, ColumnType::kTimestamp, {name});
  for (const auto& x : micros) x ? c.Append(*x) : c.AppendMissing();
  return c;
}

// Passes when `s` is an InvalidArgument whose message contains every piece.
inline ::testing::AssertionResult FailsWith(const Status& s,
                                            std::initializer_list<std::string_view> pieces) {
  if (s.ok()) return ::testing::AssertionFailure() << "expected an error, got OK";
  if (s.code() != StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "expected InvalidArgument, got " << s;
  }
  for (std::string_view p : pieces) {
    if (s.message().find(p) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks '" << p << "': " << s;
    }
  }
  return ::testing::AssertionSuccess();
}

template <typename T>
::testing::AssertionResult FailsWith(const Result<T>& r,
                                     std::initializer_list<std::string_view> pieces) {
  return FailsWith(r.status(), pieces);
}

// Parses `yaml`, fits on `fit_rows` (every row when absent), stores,
// reloads and applies the reloaded copy to `table`.
inline Status FitApply(std::string_view yaml, Table& table,
                       std::optional<std::vector<size_t>> fit_rows = std::nullopt) {
  ASSIGN_OR_RETURN(std::unique_ptr<ColumnTransform> t, testing::Transform(yaml));
  std::vector<size_t> rows = fit_rows ? *fit_rows : testing::AllRows(table);
  return testing::FitStoreApply(*t, table, rows);
}

// Fits `yaml` on every row of `train` and returns the copy reloaded from its
// stored form, as serving would hold it.
inline Result<std::unique_ptr<ColumnTransform>> FitAndReload(std::string_view yaml,
                                                             const Table& train) {
  ASSIGN_OR_RETURN(std::unique_ptr<ColumnTransform> t, testing::Transform(yaml));
  RETURN_IF_ERROR(t->Fit(train, testing::AllRows(train)));
  return LoadFittedTransform(Json::parse(t->ToJson().dump()), {}, "schema.json");
}

}  // namespace citadel::data::numeric_test
