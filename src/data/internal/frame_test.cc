#include "data/internal/frame.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <limits>

namespace citadel::data {
namespace {

Frame Build(std::string_view text, std::string_view label,
            CsvOptions::Header header = CsvOptions::Header::kAuto) {
  auto table = ParseCsv(text, "f.csv", {.header = header, .delimiter = ','});
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  auto frame = BuildFrame(*table, label);
  EXPECT_TRUE(frame.ok()) << frame.status().ToString();
  return frame.ok() ? *std::move(frame) : Frame{};
}

TEST(Frame, SelectsTheLabelByName) {
  Frame f = Build("x,y,z\n1,a,2\n3,b,4\n", "y");
  EXPECT_EQ(f.label_name, "y");
  EXPECT_EQ(f.feature_names, (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(f.features, (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(f.labels, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(f.row_ids, (std::vector<int64_t>{0, 1}));
}

TEST(Frame, SelectsTheLabelByNegativeOrPositiveIndex) {
  Frame last = Build("1,2,cat\n3,4,dog\n", "-1", CsvOptions::Header::kAbsent);
  EXPECT_EQ(last.label_name, "col_2");
  EXPECT_EQ(last.feature_names, (std::vector<std::string>{"col_0", "col_1"}));
  EXPECT_EQ(last.classes, (std::vector<std::string>{"cat", "dog"}));
  Frame first = Build("cat,1,2\ndog,3,4\n", "0", CsvOptions::Header::kAbsent);
  EXPECT_EQ(first.label_name, "col_0");
  EXPECT_EQ(first.features, (std::vector<double>{1, 2, 3, 4}));
}

TEST(Frame, UnknownLabelOrIndexOutOfRangeIsAnError) {
  auto table = ParseCsv("a,b\n1,2\n", "f.csv", {});
  ASSERT_TRUE(table.ok());
  auto missing = BuildFrame(*table, "target");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("label column 'target' not found"), std::string::npos);
  EXPECT_NE(missing.status().message().find("'a', 'b'"), std::string::npos);
  auto out_of_range = BuildFrame(*table, "-3");
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_NE(out_of_range.status().message().find("index -3 is out of range"), std::string::npos);
}

TEST(Frame, OrdersNumericClassesNumerically) {
  Frame f = Build("x,y\n1,10\n2,9\n3,2\n4,10\n5,-1.5\n", "y");
  EXPECT_EQ(f.classes, (std::vector<std::string>{"-1.5", "2", "9", "10"}));
  EXPECT_EQ(f.labels, (std::vector<int64_t>{3, 2, 1, 3, 0}));
}

TEST(Frame, OrdersTextClassesLexicographically) {
  Frame f = Build("x,y\n1,b\n2,10\n3,B\n4,a\n5,9\n", "y");
  EXPECT_EQ(f.classes, (std::vector<std::string>{"10", "9", "B", "a", "b"}));
  EXPECT_EQ(f.labels, (std::vector<int64_t>{4, 0, 2, 3, 1}));
}

TEST(Frame, NonNumericFeatureIsAnErrorNamingLineColumnAndValue) {
  auto table = ParseCsv("age,height,label\n30,180,a\n31,tall,b\n", "p.csv", {});
  ASSERT_TRUE(table.ok());
  auto f = BuildFrame(*table, "label");
  ASSERT_FALSE(f.ok());
  std::string m = f.status().message();
  EXPECT_EQ(m.rfind("p.csv:3: column 'height': expected a number, got 'tall'", 0), 0u) << m;
  EXPECT_NE(m.find("cleaning and imputation arrive with the full data engine"), std::string::npos)
      << m;
}

TEST(Frame, EmptyFeatureCellIsAnError) {
  auto table = ParseCsv("a,b,label\n1,2,x\n3,,y\n", "p.csv", {});
  ASSERT_TRUE(table.ok());
  auto f = BuildFrame(*table, "label");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("p.csv:3: column 'b': expected a number, got an empty cell"),
            std::string::npos)
      << f.status().message();
}

TEST(Frame, FeatureBeyondFloat32RangeIsAnErrorNamingLineColumnAndValue) {
  for (const char* value : {"1e39", "-1e39", "3.5e38", "1e300"}) {
    auto table = ParseCsv(fmt::format("a,b,label\n1,2,x\n3,{},y\n", value), "p.csv", {});
    ASSERT_TRUE(table.ok());
    auto f = BuildFrame(*table, "label");
    ASSERT_FALSE(f.ok()) << value;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
    std::string m = f.status().message();
    EXPECT_EQ(
        m.rfind(fmt::format("p.csv:3: column 'b': value '{}' does not fit in float32", value), 0),
        0u)
        << m;
  }
}

TEST(Frame, FeatureAtTheFloat32LimitIsAccepted) {
  // FLT_MAX as printed, and values that round to it, convert to a finite float.
  Frame f = Build("a,label\n3.4028235e38,x\n-3.4028235e38,y\n3.40282356e38,z\n", "label");
  ASSERT_EQ(f.num_rows(), 3u);
  EXPECT_EQ(static_cast<float>(f.features[0]), std::numeric_limits<float>::max());
  EXPECT_EQ(static_cast<float>(f.features[1]), -std::numeric_limits<float>::max());
  EXPECT_EQ(static_cast<float>(f.features[2]), std::numeric_limits<float>::max());
}

TEST(Frame, InvalidUtf8LabelIsAnErrorNamingLineAndColumn) {
  auto table = ParseCsv("a,kind\n1,caf\xC3\xA9\n2,caf\xE9\n", "p.csv", {});
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  auto f = BuildFrame(*table, "kind");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.status().message().rfind("p.csv:3: invalid UTF-8 in column 'kind'", 0), 0u)
      << f.status().message();
}

TEST(Frame, ValidUtf8LabelsBecomeClasses) {
  Frame f = Build("a,kind\n1,caf\xC3\xA9\n2,\xE2\x82\xAC\n", "kind");
  EXPECT_EQ(f.classes, (std::vector<std::string>{"caf\xC3\xA9", "\xE2\x82\xAC"}));
}

TEST(Frame, EmptyLabelIsAnError) {
  auto table = ParseCsv("a,label\n1,x\n3,\n", "p.csv", {});
  ASSERT_TRUE(table.ok());
  auto f = BuildFrame(*table, "label");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("p.csv:3: label column 'label' is empty"), std::string::npos);
}

TEST(Frame, KeepRowsCompactsFeaturesLabelsAndRowIds) {
  Frame f = Build("1,2,a\n3,4,b\n5,6,c\n", "-1", CsvOptions::Header::kAbsent);
  f.KeepRows({0, 2});
  EXPECT_EQ(f.features, (std::vector<double>{1, 2, 5, 6}));
  EXPECT_EQ(f.labels, (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(f.row_ids, (std::vector<int64_t>{0, 2}));
}

}  // namespace
}  // namespace citadel::data
