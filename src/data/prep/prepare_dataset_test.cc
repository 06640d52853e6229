// PrepareDataset end to end, driven by YAML specs as a user writes them.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "base/random.h"
#include "base/system/files.h"
#include "base/testing/scratch_dir.h"
#include "base/text/yaml.h"
#include "data/dataset_prep.h"
#include "data/generate/messy_generator.h"
#include "data/ingest/csv/csv_reader.h"
#include "data/prep/feature_pipeline.h"
#include "formats/safetensors.h"

namespace citadel::data {
namespace {

using citadel::testing::ScratchDir;

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";

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
  auto file = formats::SafetensorsFile::Parse(split.data.Serialize(), split.role);
  EXPECT_TRUE(file.ok()) << file.status();
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
  return d;
}

const PreparedSplit& Role(const PrepareResult& result, std::string_view role) {
  for (const PreparedSplit& s : result.splits) {
    if (s.role == role) return s;
  }
  ADD_FAILURE() << "no split " << role;
  return result.splits.front();
}

// Parses the step written as YAML (input paths relative to `dir`) and runs it.
struct Prepared {
  Result<PrepareResult> result = InternalError("not run");
  PrepareReports reports;
};
Prepared Prepare(const ScratchDir& dir, std::string_view step_yaml) {
  Prepared out;
  auto doc = ParseYaml(step_yaml, "spec.yaml");
  if (!doc.ok()) {
    out.result = doc.status();
    return out;
  }
  TransformEnv env{.pii_hmac_key = std::string(kKey)};
  auto spec = ParseProcessSpec(SpecReader(*doc, ""), dir.path(), {}, env);
  if (!spec.ok()) {
    out.result = spec.status();
    return out;
  }
  out.result = PrepareDataset(*spec, env, out.reports);
  return out;
}

std::string MessyCsv(int64_t rows, uint64_t seed, bool with_pii) {
  GeneratorOptions options;
  options.rows = rows;
  options.seed = seed;
  options.with_pii = with_pii;
  std::ostringstream out;
  EXPECT_TRUE(GenerateMessyCsv(options, out).ok());
  return out.str();
}

// The transforms of kMessyStep without its row operations, whose effect
// depends on values: here which rows land in which split depends only on
// the number of rows and the seed.
constexpr std::string_view kTransformOnlyStep = R"(
name: prepare
kind: process
input: { csv: messy.csv, label: churned }
split: { train: 0.8, test: 0.2, seed: 3 }
transforms:
  - { op: drop, columns: [customer_id, signup_date] }
  - { op: impute, columns: [age, income, score], strategy: median }
  - { op: impute, columns: [country, segment], strategy: constant, value: unknown }
  - { op: one_hot, columns: [country, segment] }
  - { op: standardize, columns: all_numeric }
pii: allow
)";

// A realistic messy pipeline: cleaning, imputation, one-hot, scaling.
constexpr std::string_view kMessyStep = R"(
name: prepare
kind: process
input: { csv: messy.csv, label: churned }
clean:
  - { op: drop_duplicates }
  - { op: filter, expr: 'is_null(age) or (age >= 18 and age <= 120)' }
split: { train: 0.8, test: 0.2, seed: 3 }
transforms:
  - { op: drop, columns: [customer_id, signup_date] }
  - { op: impute, columns: [age, income, score], strategy: median }
  - { op: impute, columns: [country, segment], strategy: constant, value: unknown }
  - { op: one_hot, columns: [country, segment] }
  - { op: standardize, columns: all_numeric }
pii: allow
)";

TEST(PrepareDataset, SameInputAndSpecGiveByteIdenticalDatasets) {
  ScratchDir dir;
  dir.Write("messy.csv", MessyCsv(800, 1, false));
  Prepared a = Prepare(dir, kMessyStep);
  Prepared b = Prepare(dir, kMessyStep);
  ASSERT_TRUE(a.result.ok()) << a.result.status();
  ASSERT_TRUE(b.result.ok());
  ASSERT_EQ(a.result->splits.size(), 2u);
  for (size_t s = 0; s < 2; ++s) {
    EXPECT_TRUE(a.result->splits[s].data.Serialize() == b.result->splits[s].data.Serialize());
    EXPECT_EQ(PrettyJson(a.result->splits[s].schema), PrettyJson(b.result->splits[s].schema));
  }
  const std::string schema = PrettyJson(a.result->splits[0].schema);
  EXPECT_EQ(schema.find(dir.path().string()), std::string::npos) << "no absolute paths";
}

TEST(PrepareDataset, TimesEveryStageThatRanInOrder) {
  ScratchDir dir;
  dir.Write("messy.csv", MessyCsv(500, 2, false));
  Prepared p = Prepare(dir, kMessyStep);  // clean:, pii: allow, profile on (the default)
  ASSERT_TRUE(p.result.ok()) << p.result.status();
  std::vector<std::string> names;
  for (const auto& [name, seconds] : p.result->stages) {
    names.push_back(name);
    EXPECT_GE(seconds, 0.0) << name;
    EXPECT_LT(seconds, 60.0) << name;
  }
  const std::vector<std::string> want = {"read",
                                         "clean",
                                         "profile",
                                         "split",
                                         "transforms/0 (drop)",
                                         "transforms/1 (impute)",
                                         "transforms/2 (impute)",
                                         "transforms/3 (one_hot)",
                                         "transforms/4 (standardize)",
                                         "features"};
  EXPECT_EQ(names, want) << "no validate (no expect:) and no pii (pii: allow)";
}

// The leakage proof: rewrite every feature cell of the rows that land in the
// test split (new values, a category never seen elsewhere). If no statistic
// of held-out rows reaches the fitted parameters, the train split and the
// stored preprocessing are byte-identical.
TEST(PrepareDataset, HeldOutRowsNeverInfluenceTheTrainSplitOrTheFittedParameters) {
  ScratchDir dir;
  std::string original = MessyCsv(600, 2, false);
  dir.Write("messy.csv", original);
  Prepared base = Prepare(dir, kTransformOnlyStep);
  ASSERT_TRUE(base.result.ok()) << base.result.status();
  SplitData test = Decode(Role(*base.result, "test"));
  std::set<int64_t> test_rows(test.row_ids.begin(), test.row_ids.end());

  auto table = ParseCsv(original, "messy.csv", {});
  ASSERT_TRUE(table.ok());
  std::string changed = "customer_id,age,income,country,segment,signup_date,score,churned\n";
  for (size_t r = 0; r < table->num_rows(); ++r) {
    std::vector<std::string> cells;
    for (size_t c = 0; c < table->num_columns(); ++c) cells.emplace_back(table->cell(r, c));
    if (test_rows.count(static_cast<int64_t>(r)) != 0) {
      cells[1] = "77";           // age
      cells[2] = "123456789.5";  // income
      cells[3] = "ZZ";           // a country only held-out rows have
      cells[6] = "0.5";          // score
    }
    std::string line;
    for (size_t c = 0; c < cells.size(); ++c) line += (c ? "," : "") + cells[c];
    changed += line + "\n";
  }
  dir.Write("messy.csv", changed);
  Prepared moved = Prepare(dir, kTransformOnlyStep);
  ASSERT_TRUE(moved.result.ok()) << moved.result.status();
  EXPECT_TRUE(Role(*moved.result, "train").data.Serialize() ==
              Role(*base.result, "train").data.Serialize());
  EXPECT_EQ(Role(*moved.result, "train").schema["preprocessing"],
            Role(*base.result, "train").schema["preprocessing"]);
  EXPECT_EQ(Decode(Role(*moved.result, "test")).row_ids, test.row_ids);
  EXPECT_FALSE(Role(*moved.result, "test").data.Serialize() ==
               Role(*base.result, "test").data.Serialize());
  // "ZZ" was never seen in training, so no feature column exists for it.
  for (const Json& name : Role(*moved.result, "train").schema["features"]) {
    EXPECT_EQ(name.get<std::string>().find("ZZ"), std::string::npos);
  }
}

// Serving re-applies the stored transforms to raw rows: the test rows, read
// raw from the file and run through FeaturePipeline built from the *train*
// schema, give exactly the test split's features.
TEST(PrepareDataset, StoredTransformsReproduceTheTestSplitFromRawRows) {
  ScratchDir dir;
  std::string csv = MessyCsv(500, 4, false);
  dir.Write("messy.csv", csv);
  Prepared p = Prepare(dir, kMessyStep);
  ASSERT_TRUE(p.result.ok()) << p.result.status();
  SplitData test = Decode(Role(*p.result, "test"));
  auto pipeline = FeaturePipeline::FromSchema(Role(*p.result, "train").schema,
                                              {.pii_hmac_key = std::string(kKey)}, "train");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();

  InputSpec input;
  input.format = InputSpec::Format::kCsv;
  input.path = dir.path() / "messy.csv";
  input.label = "churned";
  auto raw = ReadTable(input);
  ASSERT_TRUE(raw.ok()) << raw.status();
  std::vector<size_t> keep(test.row_ids.begin(), test.row_ids.end());
  raw->KeepRows(keep);
  raw->Remove("churned");  // a serving request has no label
  auto features = pipeline->Transform(std::move(*raw));
  ASSERT_TRUE(features.ok()) << features.status();
  EXPECT_EQ(*features, test.features);
}

TEST(PrepareDataset, RecordsColumnLineageForEveryFeature) {
  ScratchDir dir;
  dir.Write("messy.csv", MessyCsv(300, 5, false));
  Prepared p = Prepare(dir, kMessyStep);
  ASSERT_TRUE(p.result.ok()) << p.result.status();
  const Json& schema = p.result->splits[0].schema;
  const Json& lineage = schema["column_lineage"];
  ASSERT_EQ(lineage.size(), schema["features"].size());
  for (const Json& feature : schema["features"]) {
    std::string name = feature.get<std::string>();
    std::string expected = name.substr(0, name.find('='));  // one-hot: "country=DE"
    EXPECT_EQ(lineage[name], Json::array({expected})) << name;
  }
  EXPECT_EQ(schema["features"].count("customer_id"), 0u);
}

TEST(PrepareDataset, ReportsRowsRemovedByEachCleaningOperation) {
  ScratchDir dir;
  dir.Write("d.csv", "a,b,y\n1,2,p\n1,2,p\n1,2,q\n3,4,p\n1,2,p\n5,6,q\n200,1,q\n");
  Prepared p = Prepare(dir, R"(
input: { csv: d.csv, label: y }
clean: [ { op: drop_duplicates }, { op: filter, expr: 'a < 100' } ]
split: { train: 0.5, test: 0.5, seed: 1 }
)");
  ASSERT_TRUE(p.result.ok()) << p.result.status();
  EXPECT_EQ(p.result->stats["source_rows"], 7);
  EXPECT_EQ(p.result->stats["rows_after_clean"], 4);
  EXPECT_EQ(p.result->stats["clean"][0]["removed"], 2);
  EXPECT_EQ(p.result->stats["clean"][1]["removed"], 1);
  std::set<int64_t> ids;
  for (const PreparedSplit& s : p.result->splits) {
    for (int64_t id : Decode(s).row_ids) ids.insert(id);
  }
  EXPECT_EQ(ids, (std::set<int64_t>{0, 2, 3, 5}));
}

TEST(PrepareDataset, LabelByNegativeIndexWithoutHeaderNamesColumnsByPosition) {
  ScratchDir dir;
  dir.Write("n.csv", "1,2,10\n3,4,9\n5,6,10\n7,8,100\n");
  Prepared p = Prepare(dir, "input: { csv: n.csv, label: -1, header: false }\n");
  ASSERT_TRUE(p.result.ok()) << p.result.status();
  ASSERT_EQ(p.result->splits.size(), 1u);
  const PreparedSplit& all = p.result->splits[0];
  EXPECT_EQ(all.role, "data");
  EXPECT_EQ(all.schema["features"], Json({"col_0", "col_1"}));
  EXPECT_EQ(all.schema["label"]["name"], "col_2");
  EXPECT_EQ(all.schema["label"]["classes"], Json({"9", "10", "100"}));
  SplitData d = Decode(all);
  EXPECT_EQ(d.labels, (std::vector<int64_t>{1, 0, 1, 2}));
  EXPECT_EQ(d.features, (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(d.row_ids, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(PrepareDataset, StringFeatureLeftUnencodedIsAnErrorNamingTheFix) {
  ScratchDir dir;
  dir.Write("s.csv", "a,c,y\n1,x,p\n2,z,q\n");
  Prepared p = Prepare(dir, "input: { csv: s.csv, label: y }\n");
  ASSERT_FALSE(p.result.ok());
  EXPECT_NE(p.result.status().message().find("column 'c' is still string"), std::string::npos)
      << p.result.status();
  EXPECT_NE(p.result.status().message().find("one_hot"), std::string::npos);
}

TEST(PrepareDataset, MissingValueLeftAfterTransformsNamesFileLineAndColumn) {
  ScratchDir dir;
  dir.Write("m.csv", "a,b,y\n1,2,p\n3,,q\n");
  Prepared p = Prepare(dir, "input: { csv: m.csv, label: y }\n");
  ASSERT_FALSE(p.result.ok());
  EXPECT_NE(p.result.status().message().find("m.csv:3: column 'b' has 1 missing value"),
            std::string::npos)
      << p.result.status();
}

TEST(PrepareDataset, MissingLabelNamesTheRowAndTheCleaningFix) {
  ScratchDir dir;
  dir.Write("m.csv", "a,y\n1,p\n2,\n");
  Prepared p = Prepare(dir, "input: { csv: m.csv, label: y }\n");
  ASSERT_FALSE(p.result.ok());
  EXPECT_NE(p.result.status().message().find("m.csv:3: label column 'y' is empty"),
            std::string::npos)
      << p.result.status();
}

TEST(PrepareDataset, FailedValidationGateReportsViolatingRowsWithLines) {
  ScratchDir dir;
  dir.Write("v.csv", "age,y\n30,p\n150,q\n40,p\n-1,q\n");
  Prepared p = Prepare(dir, R"(
input: { csv: v.csv, label: y }
expect:
  - { range: { column: age, min: 0, max: 120 } }
)");
  ASSERT_FALSE(p.result.ok());
  std::string m = p.result.status().message();
  EXPECT_NE(m.find("v.csv:3"), std::string::npos) << m;
  EXPECT_NE(m.find("v.csv:5"), std::string::npos) << m;
  EXPECT_FALSE(p.reports.validation.is_null());
  EXPECT_EQ(p.reports.validation.dump().find("v.csv:2"), std::string::npos);
}

TEST(PrepareDataset, SplitThatWouldGetNoRowsIsAnError) {
  ScratchDir dir;
  dir.Write("one.csv", "a,b,y\n1,2,p\n");
  Prepared p =
      Prepare(dir, "input: { csv: one.csv, label: y }\nsplit: { train: 0.8, test: 0.2 }\n");
  ASSERT_FALSE(p.result.ok());
  EXPECT_NE(p.result.status().message().find("'test'"), std::string::npos) << p.result.status();
}

TEST(PrepareDataset, FittedTransformsWithSeveralSplitsNeedOneNamedTrain) {
  ScratchDir dir;
  dir.Write("s.csv", "a,y\n1,p\n2,q\n3,p\n4,q\n");
  Prepared p = Prepare(dir, R"(
input: { csv: s.csv, label: y }
split: { training: 0.5, test: 0.5 }
transforms: [ { op: standardize } ]
)");
  ASSERT_FALSE(p.result.ok());
  EXPECT_NE(p.result.status().message().find("spec.yaml:3"), std::string::npos)
      << p.result.status();
  Prepared untransformed = Prepare(dir,
                                   "input: { csv: s.csv, label: y }\n"
                                   "split: { training: 0.5, test: 0.5 }\n");
  EXPECT_TRUE(untransformed.result.ok()) << untransformed.result.status();
}

TEST(PrepareDataset, RowOperationUnderTransformsPointsToClean) {
  ScratchDir dir;
  dir.Write("s.csv", "a,y\n1,p\n");
  Prepared p =
      Prepare(dir, "input: { csv: s.csv, label: y }\ntransforms: [ { op: drop_duplicates } ]\n");
  ASSERT_FALSE(p.result.ok());
  EXPECT_NE(p.result.status().message().find("spec.yaml:2"), std::string::npos);
  EXPECT_NE(p.result.status().message().find("clean:"), std::string::npos);
}

constexpr std::string_view kPiiStep = R"(
input: { csv: pii.csv, label: churned }
clean: [ { op: drop_duplicates } ]
split: { train: 0.8, test: 0.2, seed: 1 }
transforms:
  {PRIVACY}
  - { op: drop, columns: [customer_id, signup_date, country, segment] }
  - { op: impute, columns: all_numeric, strategy: median }
pii: deny
)";

std::string PiiStep(std::string_view privacy) {
  std::string step(kPiiStep);
  step.replace(step.find("{PRIVACY}"), 9, privacy);
  return step;
}

TEST(PrepareDataset, PiiDenyFailsWhilePiiColumnsReachTheOutput) {
  ScratchDir dir;
  dir.Write("pii.csv", MessyCsv(300, 6, true));
  // phone and card_number etc. are strings: leave them and hash the emails
  // into features; the other PII columns still reach the output.
  Prepared p = Prepare(
      dir, PiiStep("- { op: hash_features, columns: [email, phone], n_features: 8, output: h }"));
  ASSERT_FALSE(p.result.ok());
  EXPECT_EQ(p.result.status().code(), StatusCode::kFailedPrecondition);
  std::string m = p.result.status().message();
  EXPECT_NE(m.find("'email'"), std::string::npos) << m;
  EXPECT_NE(m.find("{ op: hash, columns: pii }"), std::string::npos) << m;
  EXPECT_FALSE(p.reports.pii.is_null());
  EXPECT_GT(p.reports.pii["columns"]["email"]["email"].get<int64_t>(), 0);
}

TEST(PrepareDataset, PiiDenyPassesOnceEveryPiiColumnIsDropped) {
  ScratchDir dir;
  dir.Write("pii.csv", MessyCsv(300, 6, true));
  Prepared p = Prepare(dir, PiiStep("- { op: drop, columns: pii }"));
  ASSERT_TRUE(p.result.ok()) << p.result.status();
  for (const Json& f : p.result->splits[0].schema["features"]) {
    EXPECT_NE(f.get<std::string>(), "email");
  }
}

TEST(PrepareDataset, PiiDenyCatchesPiiStoredAsOneHotCategories) {
  ScratchDir dir;
  dir.Write("pii.csv", "email,x,y\na@example.com,1,p\nb@example.org,2,q\n");
  Prepared p = Prepare(dir, R"(
input: { csv: pii.csv, label: y }
transforms:
  - { op: hash, columns: [email] }
  - { op: one_hot, columns: [email] }
pii: deny
)");
  ASSERT_TRUE(p.result.ok()) << p.result.status();  // hashed first: nothing readable stored
  Prepared leak = Prepare(dir, R"(
input: { csv: pii.csv, label: y }
transforms: [ { op: one_hot, columns: [email] } ]
pii: deny
)");
  ASSERT_FALSE(leak.result.ok());
  EXPECT_NE(leak.result.status().message().find("a@example.com"), std::string::npos)
      << leak.result.status();
}

TEST(PrepareDataset, PreparesTheRealDigitsDataStratified) {
  ScratchDir dir;
  Prepared p = Prepare(dir, fmt::format(R"(
input: {{ csv: {}/examples/digits/data/digits.csv.gz, header: false, label: -1 }}
clean: [ {{ op: drop_duplicates }} ]
split: {{ train: 0.8, test: 0.2, seed: 7, stratify: col_64 }}
transforms: [ {{ op: standardize }} ]
)",
                                        std::filesystem::current_path().string()));
  ASSERT_TRUE(p.result.ok()) << p.result.status();
  EXPECT_EQ(p.result->stats["source_rows"], 1797);
  EXPECT_EQ(p.result->stats["features"], 64);
  EXPECT_EQ(p.result->stats["classes"], 10);
  // Per class, largest remainder of n·0.8: 1438 train rows, 359 test rows.
  EXPECT_EQ(Decode(Role(*p.result, "train")).rows, 1438);
  EXPECT_EQ(Decode(Role(*p.result, "test")).rows, 359);
  EXPECT_FALSE(p.reports.profile.is_null());
}

}  // namespace
}  // namespace citadel::data
