#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "data/testing/table_fixtures.h"

namespace citadel::data {
namespace {

using testing::FloatColumn;
using testing::IntColumn;
using testing::MakeTable;
using testing::StringColumn;
using Floats = std::vector<double>;

// Expected buckets below come from an independent Python MurmurHash3_x86_32
// (checked against the reference vectors of feature_hash_test.cc):
//   "city=paris"      0xa04b7c46 → bucket 6 of 8, sign -1
//   "city=rome"       0x1d96dac6 → bucket 6 of 8, sign +1
//   "browser=firefox" 0x0685ec69 → bucket 1 of 8, sign +1
//   "browser=chrome"  0x514ddcf0 → bucket 0 of 8, sign +1

std::vector<std::string> Names(const Table& t) {
  std::vector<std::string> names;
  for (const Column& c : t.columns) names.push_back(c.name);
  return names;
}

Status FitAll(std::string_view yaml, Table& t) {
  auto tr = testing::Transform(yaml);
  if (!tr.ok()) return tr.status();
  return testing::FitStoreApply(**tr, t, testing::AllRows(t));
}

Table CityBrowser() {
  return MakeTable({FloatColumn("a", {1, 2, 3, 4}),
                    StringColumn("city", {"paris", "rome", std::nullopt, "paris"}),
                    FloatColumn("m", {0, 0, 0, 0}),
                    StringColumn("browser", {"firefox", "chrome", "chrome", std::nullopt})});
}

TEST(HashFeatures, ColumnsShareOneSignedOutputSpace) {
  Table t = CityBrowser();
  ASSERT_TRUE(
      FitAll("{ op: hash_features, columns: [city, browser], n_features: 8, output: h }", t).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "h_0", "h_1", "h_2", "h_3", "h_4", "h_5",
                                                "h_6", "h_7", "m"}));
  EXPECT_EQ(t.Find("h_0")->floats, (Floats{0, 1, 1, 0}));    // chrome
  EXPECT_EQ(t.Find("h_1")->floats, (Floats{1, 0, 0, 0}));    // firefox
  EXPECT_EQ(t.Find("h_6")->floats, (Floats{-1, 1, 0, -1}));  // paris -1, rome +1
  for (std::string_view empty : {"h_2", "h_3", "h_4", "h_5", "h_7"}) {
    EXPECT_EQ(t.Find(empty)->floats, (Floats{0, 0, 0, 0})) << empty;
  }
  EXPECT_EQ(t.Find("h_6")->sources, (std::vector<std::string>{"browser", "city"}));
  EXPECT_EQ(t.Find("h_6")->CountMissing(), 0u);
}

TEST(HashFeatures, UnsignedAddsOne) {
  Table t = CityBrowser();
  ASSERT_TRUE(FitAll("{ op: hash_features, columns: [city, browser], n_features: 8, signed: false,"
                     " output: h }",
                     t)
                  .ok());
  EXPECT_EQ(t.Find("h_6")->floats, (Floats{1, 1, 0, 1}));
}

TEST(HashFeatures, ValuesNeverSeenInTrainingStillHash) {
  // Fitted on row 0 only; "rome" and "chrome" still land in their buckets.
  Table t = CityBrowser();
  auto tr = testing::Transform(
      "{ op: hash_features, columns: [city, browser], n_features: 8, "
      "output: h }");
  ASSERT_TRUE(tr.ok());
  std::vector<size_t> first = {0};
  ASSERT_TRUE(testing::FitStoreApply(**tr, t, first).ok());
  EXPECT_EQ(t.Find("h_6")->floats[1], 1.0);
  EXPECT_EQ(t.Find("h_0")->floats[1], 1.0);
}

TEST(HashFeatures, EmptyAllMissingAndSingleRowInputs) {
  Table empty = MakeTable({StringColumn("c", {})});
  ASSERT_TRUE(FitAll("{ op: hash_features, columns: c, n_features: 2, output: h }", empty).ok());
  EXPECT_EQ(Names(empty), (std::vector<std::string>{"h_0", "h_1"}));
  EXPECT_EQ(empty.columns[0].size(), 0u);

  Table missing = MakeTable({StringColumn("c", {std::nullopt, std::nullopt})});
  ASSERT_TRUE(FitAll("{ op: hash_features, columns: c, n_features: 2, output: h }", missing).ok());
  EXPECT_EQ(missing.columns[0].floats, (Floats{0, 0}));
  EXPECT_EQ(missing.columns[1].floats, (Floats{0, 0}));

  // "c=x" = 0x7b0fdb52 → bucket 2 of 4, sign +1 (Python reference).
  Table one = MakeTable({StringColumn("c", {"x"})});
  ASSERT_TRUE(FitAll("{ op: hash_features, columns: c, n_features: 4, output: h }", one).ok());
  EXPECT_EQ(one.Find("h_2")->floats, (Floats{1}));
}

TEST(HashFeatures, IntAndBoolCellsHashTheirText) {
  // "n=7" → bucket 1 of 4, +1; "b=true" → bucket 3 of 4, +1 (Python reference).
  Column b = Column::Empty("b", ColumnType::kBool, {"b"});
  b.Append(int64_t{1});
  Table t = MakeTable({IntColumn("n", {7}), b});
  ASSERT_TRUE(FitAll("{ op: hash_features, columns: [n, b], n_features: 4, output: h }", t).ok());
  EXPECT_EQ(t.Find("h_1")->floats, (Floats{1}));
  EXPECT_EQ(t.Find("h_3")->floats, (Floats{1}));
  EXPECT_EQ(t.Find("h_0")->floats, (Floats{0}));
}

TEST(HashFeatures, MegabyteValueHashesLikeAnyOther) {
  // "c=" + 1 MiB of 'x' → bucket 0 of 4, +1 (Python reference).
  Table t = MakeTable({StringColumn("c", {std::string(1 << 20, 'x')})});
  ASSERT_TRUE(FitAll("{ op: hash_features, columns: c, n_features: 4, output: h }", t).ok());
  EXPECT_EQ(t.Find("h_0")->floats, (Floats{1}));
}

TEST(HashFeatures, FloatColumnsWithNanOrInfAreRefused) {
  Table t = MakeTable({FloatColumn("x", {std::nan(""), std::numeric_limits<double>::infinity()})});
  Status s = FitAll("{ op: hash_features, columns: x, output: h }", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'x' is float"), std::string::npos) << s;
}

TEST(HashFeatures, AllStringSkipsTheLabelAndStoresTheResolvedColumns) {
  Table t = MakeTable({StringColumn("c", {"x"}), StringColumn("y", {"p"})}, "y");
  auto tr = testing::Transform(
      "{ op: hash_features, columns: all_string, n_features: 4, "
      "output: h }");
  ASSERT_TRUE(tr.ok());
  ASSERT_TRUE((*tr)->Fit(t, testing::AllRows(t)).ok());
  EXPECT_EQ((*tr)->ToJson()["fitted"]["columns"], Json({"c"}));
  ASSERT_TRUE((*tr)->Apply(t).ok());
  EXPECT_EQ(Names(t), (std::vector<std::string>{"h_0", "h_1", "h_2", "h_3", "y"}));
}

TEST(HashFeatures, BadSpecFieldsAndNameClashesAreRefused) {
  EXPECT_FALSE(testing::Transform("{ op: hash_features, columns: c }").ok());  // no output
  EXPECT_FALSE(testing::Transform("{ op: hash_features, columns: c, output: '' }").ok());
  auto odd = testing::Transform("{ op: hash_features, columns: c, n_features: 1000, output: h }");
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.status().message().find("power of two"), std::string::npos);
  EXPECT_FALSE(
      testing::Transform("{ op: hash_features, columns: c, n_features: 131072, output: h }").ok());
  EXPECT_FALSE(testing::Transform("{ op: hash_features, columns: c, output: h, seed: 1 }").ok());
  Table t = MakeTable({StringColumn("c", {"x"}), FloatColumn("h_1", {0})});
  Status s = FitAll("{ op: hash_features, columns: c, n_features: 2, output: h }", t);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'h_1' already exists"), std::string::npos) << s;
}

}  // namespace
}  // namespace citadel::data
