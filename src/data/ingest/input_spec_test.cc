#include "data/ingest/input_spec.h"

#include <gtest/gtest.h>

#include <string>

#include "base/text/yaml.h"

namespace citadel::data {
namespace {

// Parses `yaml` (a document whose top-level key is `input:`) against spec
// folder /specs.
Result<InputSpec> Parse(std::string_view yaml) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml, "spec.yaml"));
  return ParseInputSpec(SpecReader(doc, "/input"), "/specs");
}

std::string ErrorOf(std::string_view yaml) {
  auto spec = Parse(yaml);
  EXPECT_FALSE(spec.ok()) << yaml;
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  return spec.status().message();
}

TEST(ParseInputSpec, ReadsEveryCsvField) {
  auto spec = Parse(
      "input:\n"
      "  csv: data/customers.csv\n"
      "  label: churned\n"
      "  header: false\n"
      "  delimiter: \";\"\n"
      "  schema: {age: int, plan: categorical, signup: timestamp, score: float, ok: bool}\n"
      "  missing_values: [\"\", \"?\"]\n"
      "  max_field_bytes: 4096\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->format, InputSpec::Format::kCsv);
  EXPECT_EQ(spec->path, std::filesystem::path("/specs/data/customers.csv"));
  EXPECT_EQ(spec->label, "churned");
  EXPECT_EQ(spec->csv.header, CsvOptions::Header::kAbsent);
  EXPECT_EQ(spec->csv.delimiter, ';');
  // Name order: the spec's mapping reaches the parser with sorted keys.
  std::vector<std::pair<std::string, ColumnType>> schema = {{"age", ColumnType::kInt},
                                                            {"ok", ColumnType::kBool},
                                                            {"plan", ColumnType::kString},
                                                            {"score", ColumnType::kFloat},
                                                            {"signup", ColumnType::kTimestamp}};
  EXPECT_EQ(spec->schema, schema);
  EXPECT_EQ(spec->missing_values, (std::vector<std::string>{"", "?"}));
  EXPECT_EQ(spec->max_field_bytes, 4096u);
  EXPECT_EQ(spec->Files(), std::vector<std::filesystem::path>{"/specs/data/customers.csv"});
}

TEST(ParseInputSpec, DefaultsAreAutoHeaderCommaNoLabelAndTheUsualMissingTokens) {
  auto spec = Parse("input: {csv: /abs/x.csv}\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->path, std::filesystem::path("/abs/x.csv"));  // absolute paths stay
  EXPECT_EQ(spec->csv.header, CsvOptions::Header::kAuto);
  EXPECT_EQ(spec->csv.delimiter, ',');
  EXPECT_EQ(spec->label, "");
  EXPECT_TRUE(spec->schema.empty());
  EXPECT_EQ(spec->missing_values,
            (std::vector<std::string>{"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"}));
  EXPECT_EQ(spec->max_field_bytes, size_t{1} << 20);
}

TEST(ParseInputSpec, ReadsJsonlAndIdxInputs) {
  auto jsonl = Parse("input: {jsonl: e.jsonl.gz, label: -1}\n");
  ASSERT_TRUE(jsonl.ok()) << jsonl.status();
  EXPECT_EQ(jsonl->format, InputSpec::Format::kJsonl);
  EXPECT_EQ(jsonl->path, std::filesystem::path("/specs/e.jsonl.gz"));
  EXPECT_EQ(jsonl->label, "-1");

  auto idx = Parse(
      "input:\n"
      "  idx: {images: fm/t10k-images-idx3-ubyte.gz, labels: fm/t10k-labels-idx1-ubyte.gz}\n");
  ASSERT_TRUE(idx.ok()) << idx.status();
  EXPECT_EQ(idx->format, InputSpec::Format::kIdx);
  EXPECT_EQ(idx->path, std::filesystem::path("/specs/fm/t10k-images-idx3-ubyte.gz"));
  EXPECT_EQ(idx->idx_labels, std::filesystem::path("/specs/fm/t10k-labels-idx1-ubyte.gz"));
  EXPECT_EQ(idx->Files().size(), 2u);

  auto images_only = Parse("input: {idx: {images: a.idx}}\n");
  ASSERT_TRUE(images_only.ok()) << images_only.status();
  EXPECT_TRUE(images_only->idx_labels.empty());
}

struct SpecErrorCase {
  const char* yaml;
  const char* error;  // the exact beginning of the message
};

TEST(ParseInputSpec, ErrorsNameTheFileLineAndField) {
  const SpecErrorCase cases[] = {
      {"input:\n  label: y\n", "spec.yaml:2: input: no input file: give one of csv: FILE"},
      {"input:\n  csv: a.csv\n  jsonl: b.jsonl\n",
       "spec.yaml:3: input/jsonl: only one of csv:, jsonl: and idx: may be given"},
      {"input:\n  csv: a.csv\n  colour: red\n",
       "spec.yaml:3: input/colour: unknown field 'colour' (known fields: csv, jsonl, idx"},
      {"input:\n  csv: \"\"\n", "spec.yaml:2: input/csv: the path is empty"},
      {"input:\n  csv: 5\n", "spec.yaml:2: input/csv: expected a string, got '5'"},
      {"input:\n  csv: a.csv\n  header: maybe\n",
       "spec.yaml:3: input/header: expected true, false or auto"},
      {"input:\n  csv: a.csv\n  delimiter: \"ab\"\n",
       "spec.yaml:3: input/delimiter: expected one character"},
      {"input:\n  jsonl: a.jsonl\n  header: true\n",
       "spec.yaml:3: input/header: 'header' applies only to csv: input"},
      {"input:\n  idx: {images: a}\n  delimiter: \";\"\n",
       "spec.yaml:3: input/delimiter: 'delimiter' applies only to csv: input"},
      {"input:\n  csv: a.csv\n  label: [a]\n",
       "spec.yaml:3: input/label: expected a column name or an integer index"},
      {"input:\n  csv: a.csv\n  schema:\n    age: int\n    name: text\n    when: datetim\n",
       "spec.yaml:6: input/schema/when: expected one of int, float, bool, string, categorical, "
       "timestamp; got \"datetim\""},
      {"input:\n  csv: a.csv\n  schema: [age]\n",
       "spec.yaml:3: input/schema: expected a mapping of column name to type"},
      {"input:\n  csv: a.csv\n  missing_values: [NA, null]\n",
       "spec.yaml:3: input/missing_values: expected strings, got 'null'"},
      {"input:\n  csv: a.csv\n  max_field_bytes: 0\n",
       "spec.yaml:3: input/max_field_bytes: expected an integer in [1, 1073741824], got '0'"},
      {"input:\n  idx: a.idx\n", "spec.yaml:2: input/idx: expected a mapping, got 'a.idx'"},
      {"input:\n  idx: {labels: l.idx}\n",
       "spec.yaml:2: input/idx/images: required field 'images' is missing"},
      {"input:\n  idx: {images: a, label: b}\n", "spec.yaml:2: input/idx/label: unknown field"},
      {"input: a.csv\n", "spec.yaml:1: input: expected a mapping, got 'a.csv'"},
  };
  for (const SpecErrorCase& c : cases) {
    std::string message = ErrorOf(c.yaml);
    EXPECT_EQ(message.rfind(c.error, 0), 0u) << c.yaml << "\n  got: " << message;
  }
}

}  // namespace
}  // namespace citadel::data
