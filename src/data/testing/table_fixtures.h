// Test-only helpers for src/data: small Tables written inline, transforms
// parsed from one line of YAML, and the store → reload round trip that every
// fitted transform must survive. Not part of citadel::data.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/text/yaml.h"
#include "data/table/table.h"
#include "data/transform/transform.h"

namespace citadel::data::testing {

using OptDouble = std::optional<double>;
using OptString = std::optional<std::string>;

inline Column FloatColumn(std::string name, std::vector<OptDouble> cells) {
  Column c = Column::Empty(name, ColumnType::kFloat, {name});
  for (const OptDouble& x : cells) x ? c.Append(*x) : c.AppendMissing();
  return c;
}

inline Column IntColumn(std::string name, std::vector<std::optional<int64_t>> cells) {
  Column c = Column::Empty(name, ColumnType::kInt, {name});
  for (const auto& x : cells) x ? c.Append(*x) : c.AppendMissing();
  return c;
}

inline Column StringColumn(std::string name, std::vector<OptString> cells) {
  Column c = Column::Empty(name, ColumnType::kString, {name});
  for (const OptString& x : cells) x ? c.Append(*x) : c.AppendMissing();
  return c;
}

// A table of `columns` (equal sizes), source "t.csv", line r + 2 for row r.
inline Table MakeTable(std::vector<Column> columns, std::string label = "") {
  Table t;
  t.source = "t.csv";
  t.label = std::move(label);
  size_t rows = columns.empty() ? 0 : columns[0].size();
  for (size_t r = 0; r < rows; ++r) {
    t.row_ids.push_back(static_cast<int64_t>(r));
    t.lines.push_back(static_cast<int64_t>(r + 2));
  }
  t.columns = std::move(columns);
  return t;
}

inline std::vector<size_t> AllRows(const Table& t) {
  std::vector<size_t> rows(t.num_rows());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return rows;
}

// Parses one transform entry written as YAML flow, e.g.
// "{ op: standardize, columns: [a, b] }". The document must outlive the
// reader only during the call, so it is kept inside.
inline Result<std::unique_ptr<ColumnTransform>> Transform(std::string_view yaml,
                                                          const TransformEnv& env = {}) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml, "spec.yaml"));
  return ParseTransform(SpecReader(doc, ""), env);
}

// Fits on `fit_rows`, stores with ToJson(), reloads the stored form and
// applies *the reloaded copy* to `table`: every test that uses this proves
// that what schema.json keeps is enough to reproduce the transform.
inline Status FitStoreApply(ColumnTransform& t, Table& table, std::span<const size_t> fit_rows,
                            const TransformEnv& env = {}) {
  RETURN_IF_ERROR(t.Fit(table, fit_rows));
  Json stored = Json::parse(t.ToJson().dump());
  ASSIGN_OR_RETURN(std::unique_ptr<ColumnTransform> reloaded,
                   LoadFittedTransform(stored, env, "schema.json"));
  EXPECT_EQ(reloaded->ToJson(), stored);
  return reloaded->Apply(table);
}

}  // namespace citadel::data::testing
