#include "data/internal/transforms.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <span>

#include "data/data_test_util.h"

namespace citadel::data {
namespace {

using testing::Op;

// A header-less CSV whose last column is the label.
Frame Build(std::string_view text) {
  auto table = ParseCsv(text, "t.csv", {.header = CsvOptions::Header::kAbsent, .delimiter = ','});
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  auto frame = BuildFrame(*table, "-1");
  EXPECT_TRUE(frame.ok()) << frame.status().ToString();
  return frame.ok() ? *std::move(frame) : Frame{};
}

// FitStandardize that must succeed.
StandardizeFit Fit(const Frame& f, std::vector<size_t> columns, std::span<const size_t> rows) {
  auto fit = FitStandardize(f, std::move(columns), rows);
  EXPECT_TRUE(fit.ok()) << fit.status().ToString();
  return fit.ok() ? *std::move(fit) : StandardizeFit{};
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
  StandardizeFit fit = Fit(f, {0, 1}, fit_rows);
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
  StandardizeFit fit = Fit(f, {0}, rows);
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
  Json j = Fit(*f, columns, rows).ToJson(*f);
  EXPECT_EQ(j["columns"], Json({"c", "a"}));
  EXPECT_EQ(j["mean"], Json({3.0, 1.0}));
}

TEST(Standardize, NonFiniteMeanOrScaleIsAnErrorNamingTheColumn) {
  // Finite doubles whose sum (mean) or squared deviation (scale) overflows.
  Frame f;
  f.source = "big.csv";
  f.feature_names = {"ok", "huge_mean", "huge_spread"};
  f.label_name = "y";
  f.classes = {"a"};
  f.features = {1, 1e308, -1e200, 2, 1.5e308, 1e200};
  f.labels = {0, 0};
  f.row_ids = {0, 1};
  std::vector<size_t> rows = {0, 1};
  EXPECT_TRUE(FitStandardize(f, {0}, rows).ok());
  for (size_t column : {1, 2}) {
    auto fit = FitStandardize(f, {0, column}, rows);
    ASSERT_FALSE(fit.ok()) << column;
    EXPECT_EQ(fit.status().code(), StatusCode::kInvalidArgument);
    std::string m = fit.status().message();
    EXPECT_NE(m.find(fmt::format("big.csv: standardize: column '{}'", f.feature_names[column])),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("not finite"), std::string::npos) << m;
  }
}

struct OverlapCase {
  const char* name;
  std::vector<TransformSpec> transforms;
  const char* expected;  // substring of the error, or nullptr when valid
};

TEST(ValidateTransforms, RejectsAColumnStandardizedByTwoTransforms) {
  Frame f = Build("1,2,3,a\n");  // features col_0, col_1, col_2
  auto named = [](std::vector<std::string> columns) {
    return TransformSpec{.op = "standardize", .all_numeric = false, .columns = std::move(columns)};
  };
  const OverlapCase cases[] = {
      {"disjoint named columns", {named({"col_0"}), named({"col_1", "col_2"})}, nullptr},
      {"one standardize with a repeated name", {named({"col_0", "col_0"})}, nullptr},
      {"all_numeric twice",
       {Op("standardize"), Op("drop_duplicates"), Op("standardize")},
       "transform 3 (standardize): column 'col_0' is already standardized by transform 1"},
      {"named after all_numeric",
       {Op("standardize"), named({"col_2"})},
       "transform 2 (standardize): column 'col_2' is already standardized by transform 1"},
      {"overlapping named lists",
       {named({"col_0", "col_1"}), named({"col_2", "col_1"})},
       "transform 2 (standardize): column 'col_1' is already standardized by transform 1"},
  };
  for (const OverlapCase& c : cases) {
    Status s = ValidateTransforms(c.transforms, f);
    if (c.expected == nullptr) {
      EXPECT_TRUE(s.ok()) << c.name << ": " << s.ToString();
      continue;
    }
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << c.name << ": " << s.message();
    EXPECT_NE(s.message().find("one affine map per column"), std::string::npos) << c.name;
  }
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
