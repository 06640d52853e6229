#include "data/internal/transforms.h"

#include <gtest/gtest.h>

#include <cmath>

namespace citadel::data {
namespace {

// A transform with its default columns (all_numeric).
TransformSpec Op(std::string op) {
  TransformSpec t;
  t.op = std::move(op);
  return t;
}

// A header-less CSV whose last column is the label.
Frame Build(std::string_view text) {
  auto table = ParseCsv(text, "t.csv", {.header = CsvOptions::Header::kAbsent, .delimiter = ','});
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  auto frame = BuildFrame(*table, "-1");
  EXPECT_TRUE(frame.ok()) << frame.status().ToString();
  return frame.ok() ? *std::move(frame) : Frame{};
}

TEST(DropDuplicates, DropsRowsEqualInFeaturesAndLabelKeepingTheFirst) {
  Frame f = Build("1,2,a\n1,2,b\n1,2,a\n-0,2.0,a\n0,2,a\n3,4,a\n1,2,b\n");
  EXPECT_EQ(DropDuplicateRows(f), 3u);
  EXPECT_EQ(f.row_ids, (std::vector<int64_t>{0, 1, 3, 5}));
  EXPECT_EQ(f.num_rows(), 4u);
  EXPECT_EQ(f.features, (std::vector<double>{1, 2, 1, 2, -0.0, 2, 3, 4}));
}

TEST(Standardize, FitsPopulationMeanAndStdOnTheGivenRowsOnly) {
  Frame f = Build("1,10,a\n3,10,a\n5,10,b\n100,7,b\n");
  std::vector<size_t> fit_rows = {0, 1, 2};
  StandardizeFit fit = FitStandardize(f, {0, 1}, fit_rows);
  EXPECT_DOUBLE_EQ(fit.mean[0], 3.0);
  EXPECT_DOUBLE_EQ(fit.scale[0], std::sqrt(8.0 / 3.0));  // ddof = 0
  EXPECT_DOUBLE_EQ(fit.mean[1], 10.0);
  EXPECT_DOUBLE_EQ(fit.scale[1], 1.0);  // constant on the fit rows
  ApplyStandardize(fit, f);
  EXPECT_DOUBLE_EQ(f.row(0)[0], -2.0 / std::sqrt(8.0 / 3.0));
  EXPECT_DOUBLE_EQ(f.row(0)[1], 0.0);
  EXPECT_DOUBLE_EQ(f.row(3)[0], 97.0 / std::sqrt(8.0 / 3.0));
  EXPECT_DOUBLE_EQ(f.row(3)[1], -3.0);
}

TEST(Standardize, ConstantColumnWithInexactMeanStillMapsToZero) {
  Frame f = Build("0.1,1,a\n0.1,2,a\n0.1,3,b\n");
  std::vector<size_t> rows = {0, 1, 2};
  StandardizeFit fit = FitStandardize(f, {0}, rows);
  EXPECT_EQ(fit.scale[0], 1.0);
  ApplyStandardize(fit, f);
  for (size_t r = 0; r < 3; ++r) EXPECT_EQ(f.row(r)[0], 0.0);
}

TEST(Standardize, SelectsNamedColumnsAndRecordsThemInTheSchema) {
  auto table = ParseCsv("a,b,c,y\n1,2,3,x\n", "t.csv", {});
  ASSERT_TRUE(table.ok());
  auto f = BuildFrame(*table, "y");
  ASSERT_TRUE(f.ok());
  TransformSpec spec{.op = "standardize", .all_numeric = false, .columns = {"c", "a"}};
  std::vector<size_t> columns = StandardizeColumns(spec, *f);
  EXPECT_EQ(columns, (std::vector<size_t>{2, 0}));
  std::vector<size_t> rows = {0};
  Json j = FitStandardize(*f, columns, rows).ToJson(*f);
  EXPECT_EQ(j["columns"], Json({"c", "a"}));
  EXPECT_EQ(j["mean"], Json({3.0, 1.0}));
}

TEST(ValidateTransforms, RejectsUnknownOpsAndColumns) {
  Frame f = Build("1,2,a\n");
  EXPECT_TRUE(ValidateTransforms({Op("drop_duplicates"), Op("standardize")}, f).ok());
  Status op = ValidateTransforms({Op("normalize")}, f);
  EXPECT_NE(op.message().find("unknown op 'normalize' (supported ops: drop_duplicates, "
                              "standardize)"),
            std::string::npos)
      << op.message();
  Status column =
      ValidateTransforms({{.op = "standardize", .all_numeric = false, .columns = {"nope"}}}, f);
  EXPECT_NE(column.message().find("unknown column 'nope'"), std::string::npos) << column.message();
  Status label =
      ValidateTransforms({{.op = "standardize", .all_numeric = false, .columns = {"col_2"}}}, f);
  EXPECT_NE(label.message().find("is the label column"), std::string::npos);
}

}  // namespace
}  // namespace citadel::data
