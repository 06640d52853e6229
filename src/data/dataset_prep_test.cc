#include "data/dataset_prep.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "base/random.h"
#include "base/system/files.h"
#include "data/data_test_util.h"
#include "formats/safetensors.h"

namespace citadel::data {
namespace {

using testing::Op;

using testing::ScratchDir;

// The three tensors of a split, decoded.
struct SplitData {
  int64_t rows = 0;
  int64_t width = 0;
  std::vector<float> features;
  std::vector<int64_t> labels;
  std::vector<int64_t> row_ids;
};

template <typename T>
std::vector<T> Values(const formats::SafetensorsFile& file, const char* name) {
  auto t = file.Get(name);
  EXPECT_TRUE(t.ok()) << name;
  if (!t.ok()) return {};
  std::vector<T> out((*t)->data.size() / sizeof(T));
  std::memcpy(out.data(), (*t)->data.data(), (*t)->data.size());
  return out;
}

SplitData Decode(const PreparedSplit& split) {
  auto file = formats::SafetensorsFile::Parse(split.safetensors, split.role);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return {};
  SplitData d;
  auto features = file->Get("features");
  EXPECT_TRUE(features.ok());
  EXPECT_EQ((*features)->dtype, formats::DType::kF32);
  d.rows = (*features)->shape[0];
  d.width = (*features)->shape[1];
  d.features = Values<float>(*file, "features");
  d.labels = Values<int64_t>(*file, "labels");
  d.row_ids = Values<int64_t>(*file, "row_ids");
  EXPECT_EQ(static_cast<int64_t>(d.labels.size()), d.rows);
  EXPECT_EQ(static_cast<int64_t>(d.row_ids.size()), d.rows);
  return d;
}

const PreparedSplit& Role(const PrepareResult& result, std::string_view role) {
  for (const PreparedSplit& s : result.splits) {
    if (s.role == role) return s;
  }
  ADD_FAILURE() << "no split " << role;
  return result.splits.front();
}

// 300 rows: three features on different scales, a constant column, and a
// label from {"a", "b", "c"} in proportion 6:3:1.
std::string SyntheticCsv(std::vector<std::vector<double>>* raw = nullptr) {
  SeededRng rng(99);
  std::string csv = "x,y,const,z,label\n";
  for (int i = 0; i < 300; ++i) {
    double x = static_cast<double>(rng.Below(1000)) / 10.0;
    double y = static_cast<double>(rng.Below(100)) - 50.0;
    double z = static_cast<double>(rng.Below(7));
    const char* label = i % 10 < 6 ? "a" : (i % 10 < 9 ? "b" : "c");
    csv += fmt::format("{},{},5,{},{}\n", x, y, z, label);
    if (raw != nullptr) raw->push_back({x, y, 5.0, z});
  }
  return csv;
}

ProcessSpec Spec(const std::filesystem::path& csv, std::string label, uint64_t seed = 7) {
  ProcessSpec spec;
  spec.csv = csv;
  spec.label = std::move(label);
  spec.transforms = {Op("drop_duplicates"), Op("standardize")};
  spec.split = {.fractions = {{"train", 0.8}, {"test", 0.2}}, .seed = seed, .stratify = true};
  return spec;
}

TEST(PrepareDataset, WritesSchemaWithFeaturesClassesAndFittedTransforms) {
  ScratchDir dir;
  auto result = PrepareDataset(Spec(dir.Write("s.csv", SyntheticCsv()), "label"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->splits.size(), 2u);
  EXPECT_EQ(result->splits[0].role, "train");
  const Json& schema = result->splits[0].schema;
  EXPECT_EQ(schema["format"], "citadel.dataset/v1");
  EXPECT_EQ(schema["split"], "train");
  EXPECT_EQ(schema["rows"], 240);
  EXPECT_EQ(schema["features"], Json({"x", "y", "const", "z"}));
  EXPECT_EQ(schema["label"], Json({{"name", "label"}, {"classes", {"a", "b", "c"}}}));
  EXPECT_EQ(schema["source"], Json({{"rows", 300}, {"duplicates_dropped", 0}}));
  ASSERT_EQ(schema["preprocessing"].size(), 1u);
  EXPECT_EQ(schema["preprocessing"][0]["op"], "standardize");
  EXPECT_EQ(schema["preprocessing"][0]["columns"], schema["features"]);
  EXPECT_EQ(result->splits[1].schema["preprocessing"], schema["preprocessing"]);
  EXPECT_EQ(
      result->stats,
      Json({{"source_rows", 300}, {"duplicates_dropped", 0}, {"features", 4}, {"classes", 3}}));
}

TEST(PrepareDataset, StandardizeIsFittedOnTrainOnlyAndAppliedToTest) {
  ScratchDir dir;
  std::vector<std::vector<double>> raw;
  auto result = PrepareDataset(Spec(dir.Write("s.csv", SyntheticCsv(&raw)), "label"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  SplitData train = Decode(Role(*result, "train"));
  SplitData test = Decode(Role(*result, "test"));
  const Json& fit = Role(*result, "train").schema["preprocessing"][0];

  for (size_t c = 0; c < 4; ++c) {
    // The fitted parameters are the train rows' statistics, from the raw data.
    double sum = 0, sq = 0;
    for (int64_t id : train.row_ids) sum += raw[id][c];
    double mean = sum / static_cast<double>(train.rows);
    for (int64_t id : train.row_ids) sq += (raw[id][c] - mean) * (raw[id][c] - mean);
    double sd = std::sqrt(sq / static_cast<double>(train.rows));
    double scale = sd == 0 ? 1.0 : sd;
    EXPECT_NEAR(fit["mean"][c].get<double>(), mean, 1e-9) << c;
    EXPECT_NEAR(fit["scale"][c].get<double>(), scale, 1e-9) << c;

    // Test rows are transformed with the train parameters, not their own.
    for (int64_t r = 0; r < test.rows; ++r) {
      double expected = (raw[test.row_ids[r]][c] - mean) / scale;
      EXPECT_NEAR(test.features[r * 4 + c], expected, 1e-5) << "test row " << r << " col " << c;
    }

    // Train is centred and unit-variance (the constant column maps to 0).
    double tsum = 0, tsq = 0;
    for (int64_t r = 0; r < train.rows; ++r) tsum += train.features[r * 4 + c];
    double tmean = tsum / static_cast<double>(train.rows);
    for (int64_t r = 0; r < train.rows; ++r) {
      tsq += std::pow(train.features[r * 4 + c] - tmean, 2);
    }
    EXPECT_NEAR(tmean, 0.0, 1e-5) << c;
    EXPECT_NEAR(std::sqrt(tsq / static_cast<double>(train.rows)), c == 2 ? 0.0 : 1.0, 1e-5) << c;
  }
  // The test split, transformed with someone else's statistics, is not centred.
  double max_test_mean = 0;
  for (size_t c = 0; c < 4; ++c) {
    double s = 0;
    for (int64_t r = 0; r < test.rows; ++r) s += test.features[r * 4 + c];
    max_test_mean = std::max(max_test_mean, std::fabs(s / static_cast<double>(test.rows)));
  }
  EXPECT_GT(max_test_mean, 0.01);
}

TEST(PrepareDataset, ConstantColumnGetsScaleOneAndBecomesZero) {
  ScratchDir dir;
  auto result = PrepareDataset(Spec(dir.Write("s.csv", SyntheticCsv()), "label"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Json& fit = result->splits[0].schema["preprocessing"][0];
  EXPECT_EQ(fit["mean"][2], 5.0);
  EXPECT_EQ(fit["scale"][2], 1.0);
  for (const PreparedSplit& split : result->splits) {
    SplitData d = Decode(split);
    for (int64_t r = 0; r < d.rows; ++r) EXPECT_EQ(d.features[r * 4 + 2], 0.0f);
  }
}

TEST(PrepareDataset, StratifiedSplitKeepsProportionsAndPartitionsTheRows) {
  ScratchDir dir;
  auto result = PrepareDataset(Spec(dir.Write("s.csv", SyntheticCsv()), "label"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::set<int64_t> seen;
  size_t total = 0;
  const std::map<int64_t, double> class_rows = {{0, 180}, {1, 90}, {2, 30}};
  for (const PreparedSplit& split : result->splits) {
    SplitData d = Decode(split);
    double fraction = split.role == "train" ? 0.8 : 0.2;
    std::map<int64_t, int> per_class;
    for (int64_t l : d.labels) ++per_class[l];
    for (const auto& [label, n] : class_rows) {
      EXPECT_LE(std::fabs(per_class[label] - n * fraction), 1.0) << split.role << " " << label;
    }
    EXPECT_TRUE(std::is_sorted(d.row_ids.begin(), d.row_ids.end()));
    seen.insert(d.row_ids.begin(), d.row_ids.end());
    total += d.row_ids.size();
  }
  EXPECT_EQ(total, 300u);
  EXPECT_EQ(seen.size(), 300u);
}

TEST(PrepareDataset, SameSeedIsByteIdenticalAndAnotherSeedSplitsDifferently) {
  ScratchDir dir;
  auto csv = dir.Write("s.csv", SyntheticCsv());
  auto a = PrepareDataset(Spec(csv, "label", 7));
  auto b = PrepareDataset(Spec(csv, "label", 7));
  auto c = PrepareDataset(Spec(csv, "label", 8));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  for (size_t s = 0; s < 2; ++s) {
    EXPECT_EQ(a->splits[s].safetensors, b->splits[s].safetensors);
    EXPECT_EQ(PrettyJson(a->splits[s].schema), PrettyJson(b->splits[s].schema));
  }
  EXPECT_NE(Decode(a->splits[0]).row_ids, Decode(c->splits[0]).row_ids);

  ASSERT_TRUE(WriteDatasetDir(a->splits[0], dir.path() / "a").ok());
  ASSERT_TRUE(WriteDatasetDir(b->splits[0], dir.path() / "b").ok());
  for (const char* file : {"data.safetensors", "schema.json"}) {
    auto x = ReadFile(dir.path() / "a" / file);
    auto y = ReadFile(dir.path() / "b" / file);
    ASSERT_TRUE(x.ok() && y.ok()) << file;
    EXPECT_EQ(*x, *y) << file;
  }
  auto schema = ReadFile(dir.path() / "a" / "schema.json");
  EXPECT_EQ(schema->find(dir.path().string()), std::string::npos) << "no absolute paths";
}

TEST(PrepareDataset, DropsDuplicatesBeforeTheSplitWhereverTheyAreListed) {
  ScratchDir dir;
  auto csv = dir.Write("d.csv", "a,b,y\n1,2,p\n1,2,p\n1,2,q\n3,4,p\n1,2,p\n5,6,q\n");
  ProcessSpec spec = Spec(csv, "y");
  spec.transforms = {Op("standardize"), Op("drop_duplicates")};
  spec.split = {.fractions = {{"train", 0.5}, {"test", 0.5}}, .seed = 1, .stratify = false};
  auto result = PrepareDataset(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->stats["duplicates_dropped"], 2);
  EXPECT_EQ(result->stats["source_rows"], 6);
  std::set<int64_t> ids;
  for (const PreparedSplit& s : result->splits) {
    EXPECT_EQ(s.schema["rows"], 2);
    for (int64_t id : Decode(s).row_ids) ids.insert(id);
  }
  EXPECT_EQ(ids, (std::set<int64_t>{0, 2, 3, 5}));
}

TEST(PrepareDataset, LabelByNegativeIndexWithoutHeaderNamesColumnsByPosition) {
  ScratchDir dir;
  auto csv = dir.Write("n.csv", "1,2,10\n3,4,9\n5,6,10\n7,8,100\n");
  ProcessSpec spec;
  spec.csv = csv;
  spec.label = "-1";
  auto result = PrepareDataset(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->splits.size(), 1u);
  const PreparedSplit& all = result->splits[0];
  EXPECT_EQ(all.role, "data");
  EXPECT_EQ(all.schema["features"], Json({"col_0", "col_1"}));
  EXPECT_EQ(all.schema["label"]["name"], "col_2");
  EXPECT_EQ(all.schema["label"]["classes"], Json({"9", "10", "100"}));
  EXPECT_EQ(all.schema["preprocessing"], Json::array());
  SplitData d = Decode(all);
  EXPECT_EQ(d.labels, (std::vector<int64_t>{1, 0, 1, 2}));
  EXPECT_EQ(d.features, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(d.row_ids, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(PrepareDataset, SplitThatWouldGetNoRowsIsAnErrorNamingItAndItsFraction) {
  ScratchDir dir;
  auto csv = dir.Write("one.csv", "a,b,y\n1,2,p\n");
  auto result = PrepareDataset(Spec(csv, "y"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            csv.string() +
                ": split 'test' (fraction 0.2) would get 0 of 1 rows; use more data or a larger "
                "fraction");
}

TEST(PrepareDataset, EmptySplitAfterDropDuplicatesSaysSo) {
  ScratchDir dir;
  auto csv = dir.Write("dup.csv", "a,y\n1,p\n1,p\n1,p\n");
  ProcessSpec spec = Spec(csv, "y");
  spec.split.stratify = false;
  auto result = PrepareDataset(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find(
                "split 'test' (fraction 0.2) would get 0 of 1 rows left after drop_duplicates"),
            std::string::npos)
      << result.status().message();
}

TEST(PrepareDataset, SingleRowWithoutASplitIsFittedOnThatRow) {
  ScratchDir dir;
  ProcessSpec spec = Spec(dir.Write("one.csv", "a,b,y\n1,2,p\n"), "y");
  spec.split = {};
  auto result = PrepareDataset(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->splits.size(), 1u);
  SplitData all = Decode(Role(*result, "data"));
  EXPECT_EQ(all.rows, 1);
  EXPECT_EQ(all.features, (std::vector<float>{0, 0}));
}

TEST(PrepareDataset, StandardizeWithSeveralSplitsAndNoneNamedTrainIsAnError) {
  ScratchDir dir;
  ProcessSpec spec = Spec(dir.Write("s.csv", SyntheticCsv()), "label");
  // As ParseProcessSpec delivers them: sorted, so "test" comes first.
  spec.split.fractions = {{"test", 0.2}, {"training", 0.8}};
  auto result = PrepareDataset(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "split: fitted transforms (standardize) learn on the `train` split, but the splits "
            "are named 'test', 'training'; name the training split `train`");

  spec.transforms = {Op("drop_duplicates")};  // nothing fitted: any names will do
  EXPECT_TRUE(PrepareDataset(spec).ok());
}

TEST(PrepareDataset, StandardizeWithASingleSplitFitsOnAllItsRows) {
  ScratchDir dir;
  ProcessSpec spec = Spec(dir.Write("s.csv", "a,y\n1,p\n3,q\n"), "y");
  spec.split.fractions = {{"everything", 1.0}};
  auto result = PrepareDataset(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Json& fit = Role(*result, "everything").schema["preprocessing"][0];
  EXPECT_EQ(fit["mean"], Json({2.0}));
  EXPECT_EQ(fit["scale"], Json({1.0}));
}

TEST(PrepareDataset, RejectsAColumnStandardizedTwice) {
  ScratchDir dir;
  ProcessSpec spec = Spec(dir.Write("s.csv", SyntheticCsv()), "label");
  spec.transforms = {Op("standardize"),
                     {.op = "standardize", .all_numeric = false, .columns = {"z"}}};
  auto result = PrepareDataset(spec);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("column 'z' is already standardized by transform 1"),
            std::string::npos)
      << result.status().message();
}

TEST(PrepareDataset, EmptyOrHeaderOnlyInputIsAnError) {
  ScratchDir dir;
  auto empty = PrepareDataset(Spec(dir.Write("empty.csv", ""), "y"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.csv: the file is empty"), std::string::npos);
  auto header_only = PrepareDataset(Spec(dir.Write("h.csv", "a,y\n"), "y"));
  ASSERT_FALSE(header_only.ok());
  EXPECT_NE(header_only.status().message().find("no data rows"), std::string::npos);
}

TEST(PrepareDataset, RejectsUnknownTransformOpsAndColumns) {
  ScratchDir dir;
  auto csv = dir.Write("s.csv", "a,b,y\n1,2,p\n3,4,q\n");
  ProcessSpec spec = Spec(csv, "y");
  spec.transforms = {Op("one_hot")};
  auto op = PrepareDataset(spec);
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().message().find("unknown op 'one_hot' (supported ops: drop_duplicates, "
                                       "standardize)"),
            std::string::npos)
      << op.status().message();
  spec.transforms = {{.op = "standardize", .all_numeric = false, .columns = {"a", "c"}}};
  auto column = PrepareDataset(spec);
  ASSERT_FALSE(column.ok());
  EXPECT_NE(column.status().message().find("unknown column 'c'"), std::string::npos);
}

TEST(PrepareDataset, RejectsFractionsThatDoNotSumToOne) {
  ScratchDir dir;
  ProcessSpec spec = Spec(dir.Write("s.csv", "a,y\n1,p\n"), "y");
  spec.split.fractions = {{"train", 0.7}, {"test", 0.2}};
  auto r = PrepareDataset(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("sum to 0.9"), std::string::npos) << r.status().message();
}

TEST(PrepareDataset, SplitsTheRealDigitsDataStratified) {
  ProcessSpec spec;
  spec.csv = "examples/digits/data/digits.csv.gz";
  spec.csv_options.header = CsvOptions::Header::kAbsent;
  spec.label = "-1";
  spec.transforms = {Op("drop_duplicates"), Op("standardize")};
  spec.split = {.fractions = {{"train", 0.8}, {"test", 0.2}}, .seed = 7, .stratify = true};
  auto result = PrepareDataset(spec);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(
      result->stats,
      Json({{"source_rows", 1797}, {"duplicates_dropped", 0}, {"features", 64}, {"classes", 10}}));
  SplitData train = Decode(Role(*result, "train"));
  SplitData test = Decode(Role(*result, "test"));
  EXPECT_EQ(train.width, 64);
  // Per class, largest remainder of n·0.8: 1438 train rows, 359 test rows.
  EXPECT_EQ(train.rows, 1438);
  EXPECT_EQ(test.rows, 359);
  EXPECT_EQ(Role(*result, "test").schema["label"]["classes"],
            Json({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
}

}  // namespace
}  // namespace citadel::data
