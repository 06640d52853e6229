#include <gtest/gtest.h>

#include "data/dataset_prep.h"

namespace citadel::data {
namespace {

// Parses a one-step pipeline and returns the step's ProcessSpec.
Result<ProcessSpec> ParseStep(const std::string& step_body) {
  auto doc = ParseYaml("pipeline: p\nsteps:\n" + step_body, "spec.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return doc.status();
  return ParseProcessSpec(SpecReader(*doc, "/steps/0"), "/proj", {"cache"});
}

std::string Message(const Result<ProcessSpec>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(ProcessSpec, ParsesTheArchitectureExample) {
  auto spec = ParseStep(R"(  - name: prepare
    kind: process
    input: { csv: data/digits.csv.gz, header: false, label: -1 }
    transforms:
      - { op: drop_duplicates }
      - { op: standardize, columns: all_numeric }
    split: { train: 0.8, test: 0.2, seed: 7, stratify: true }
)");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->csv, std::filesystem::path("/proj/data/digits.csv.gz"));
  EXPECT_EQ(spec->csv_options.header, CsvOptions::Header::kAbsent);
  EXPECT_EQ(spec->csv_options.delimiter, ',');
  EXPECT_EQ(spec->label, "-1");
  ASSERT_EQ(spec->transforms.size(), 2u);
  EXPECT_EQ(spec->transforms[0].op, "drop_duplicates");
  EXPECT_EQ(spec->transforms[1].op, "standardize");
  EXPECT_TRUE(spec->transforms[1].all_numeric);
  // Sorted by name: mapping order is not part of the spec.
  using Fractions = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(spec->split.fractions, (Fractions{{"test", 0.2}, {"train", 0.8}}));
  EXPECT_EQ(spec->split.seed, 7u);
  EXPECT_TRUE(spec->split.stratify);
}

TEST(ProcessSpec, ReadsNamedLabelColumnsDelimiterAndStratifyByLabelName) {
  auto spec = ParseStep(R"(  - name: prepare
    input: { csv: /abs/x.tsv, label: target, header: auto, delimiter: ";" }
    transforms:
      - op: standardize
        columns: [a, b]
    split: { train: 0.5, val: 0.25, test: 0.25, stratify: target }
    cache: false
)");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->csv, std::filesystem::path("/abs/x.tsv"));
  EXPECT_EQ(spec->label, "target");
  EXPECT_EQ(spec->csv_options.header, CsvOptions::Header::kAuto);
  EXPECT_EQ(spec->csv_options.delimiter, ';');
  EXPECT_FALSE(spec->transforms[0].all_numeric);
  EXPECT_EQ(spec->transforms[0].columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(spec->split.stratify);
  EXPECT_EQ(spec->split.seed, 0u);
}

TEST(ProcessSpec, NoSplitMeansOneWholeDataset) {
  auto spec = ParseStep("  - name: p\n    input: { csv: d.csv, label: 0 }\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->split.fractions.empty());
  EXPECT_EQ(spec->label, "0");
  EXPECT_TRUE(spec->transforms.empty());
}

TEST(ProcessSpec, SplitNamesAreFreeWhenNothingIsFitted) {
  auto spec = ParseStep(R"(  - name: p
    input: { csv: d.csv, label: y }
    transforms: [{ op: drop_duplicates }]
    split: { training: 0.8, test: 0.2 }
)");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto one = ParseStep(R"(  - name: p
    input: { csv: d.csv, label: y }
    transforms: [{ op: standardize }]
    split: { all: 1 }
)");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
}

struct BadSpecCase {
  const char* name;
  const char* step;
  const char* expected;  // a substring of the message
};

TEST(ProcessSpec, RejectsBadSpecsWithFileLineAndField) {
  const BadSpecCase cases[] = {
      {"fractions not summing to 1",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    split:\n      train: 0.8\n"
       "      test: 0.1\n",
       "spec.yaml:6: steps/0/split: the split fractions sum to 0.9"},
      {"unknown transform op",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    transforms:\n"
       "      - { op: drop_duplicates }\n      - { op: normalize }\n",
       "spec.yaml:7: steps/0/transforms/1/op: unknown op 'normalize' (supported ops: "
       "drop_duplicates, standardize)"},
      {"unknown step field", "  - name: p\n    input: { csv: d.csv, label: y }\n    spilt: {}\n",
       "spec.yaml:5: steps/0/spilt: unknown field 'spilt' (known fields: name, kind, input, "
       "transforms, split, cache)"},
      {"unknown input field", "  - name: p\n    input: { csv: d.csv, label: y, sep: x }\n",
       "steps/0/input/sep: unknown field 'sep'"},
      {"missing label", "  - name: p\n    input: { csv: d.csv }\n",
       "spec.yaml:4: steps/0/input/label: required field 'label' is missing"},
      {"missing input", "  - name: p\n    kind: process\n", "steps/0/input: required field"},
      {"bad header", "  - name: p\n    input: { csv: d.csv, label: y, header: maybe }\n",
       "steps/0/input/header: expected true, false or \"auto\""},
      {"long delimiter", "  - name: p\n    input: { csv: d.csv, label: y, delimiter: '::' }\n",
       "steps/0/input/delimiter: expected one character"},
      {"fraction out of range",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    split: { train: 1.5 }\n",
       "steps/0/split/train: expected a number in [0, 1]"},
      {"zero fraction",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    split: { train: 1, test: 0 }\n",
       "steps/0/split/test: a split fraction must be greater than 0"},
      {"negative seed",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    split: { all: 1, seed: -1 }\n",
       "steps/0/split/seed: expected an integer"},
      {"stratify by another column",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    split: { all: 1, stratify: z }\n",
       "steps/0/split/stratify: expected true, false or the label column 'y'"},
      {"split without fractions",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    split: { seed: 3 }\n",
       "steps/0/split: no split fractions given"},
      {"standardize columns not a list",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    transforms:\n"
       "      - { op: standardize, columns: some }\n",
       "steps/0/transforms/0/columns: expected all_numeric or a list"},
      {"unknown field in a transform",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    transforms:\n"
       "      - { op: drop_duplicates, columns: [a] }\n",
       "steps/0/transforms/0/columns: unknown field 'columns'"},
      {"standardize with several splits and none named train",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    transforms:\n"
       "      - { op: standardize }\n    split: { training: 0.8, test: 0.2 }\n",
       "spec.yaml:7: steps/0/split: fitted transforms (standardize) learn on the `train` split, "
       "but the splits are named 'test', 'training'"},
      {"transforms not a list",
       "  - name: p\n    input: { csv: d.csv, label: y }\n    transforms: { op: x }\n",
       "steps/0/transforms: expected a list"},
  };
  for (const BadSpecCase& c : cases) {
    std::string m = Message(ParseStep(c.step));
    EXPECT_NE(m.find(c.expected), std::string::npos) << c.name << ": " << m;
  }
}

}  // namespace
}  // namespace citadel::data
