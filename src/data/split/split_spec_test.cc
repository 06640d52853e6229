#include "data/split/split_spec.h"

#include <gtest/gtest.h>

#include "base/text/yaml.h"

namespace citadel::data::split {
namespace {

using Fractions = std::vector<std::pair<std::string, double>>;
using Names = std::vector<std::string>;

SplitSpec WithFractions(Fractions fractions) {
  SplitSpec spec;
  spec.fractions = std::move(fractions);
  return spec;
}

// Parses `yaml` (a document whose top-level key is `split`) as spec.yaml.
Result<SplitSpec> Parse(std::string_view yaml) {
  ASSIGN_OR_RETURN(YamlDocument doc, ParseYaml(yaml, "spec.yaml"));
  return ParseSplitSpec(SpecReader(doc, "/split"));
}

TEST(ParseSplitSpec, ReadsARandomSplitWithNamesSortedAndItsSeed) {
  auto spec = Parse("split: { train: 0.8, test: 0.2, seed: 7 }\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->fractions, (Fractions{{"test", 0.2}, {"train", 0.8}}));
  EXPECT_EQ(spec->seed, 7u);
  EXPECT_EQ(spec->method, SplitMethod::kRandom);
  EXPECT_TRUE(spec->column.empty());
  EXPECT_TRUE(spec->time_order.empty());
}

TEST(ParseSplitSpec, ReadsStratifyByAColumnByTheLabelAndFalseAsRandom) {
  auto by_column = Parse("split: { train: 0.8, test: 0.2, seed: 7, stratify: churned }\n");
  ASSERT_TRUE(by_column.ok()) << by_column.status();
  EXPECT_EQ(by_column->method, SplitMethod::kStratified);
  EXPECT_EQ(by_column->column, "churned");

  auto by_label = Parse("split: { train: 0.8, test: 0.2, stratify: true }\n");
  ASSERT_TRUE(by_label.ok()) << by_label.status();
  EXPECT_EQ(by_label->method, SplitMethod::kStratified);
  EXPECT_EQ(by_label->column, "");
  EXPECT_EQ(by_label->seed, 0u);

  auto off = Parse("split: { train: 0.8, test: 0.2, stratify: false }\n");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->method, SplitMethod::kRandom);
}

TEST(ParseSplitSpec, ReadsAGroupSplit) {
  auto spec = Parse("split: { train: 0.8, test: 0.2, seed: 7, group: customer_id }\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->method, SplitMethod::kGroup);
  EXPECT_EQ(spec->column, "customer_id");
}

TEST(ParseSplitSpec, TimeSplitGetsTheDefaultOrderTrainValidOthersThenTest) {
  auto spec = Parse("split: { train: 0.7, valid: 0.1, test: 0.2, time: signup_date }\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->method, SplitMethod::kTime);
  EXPECT_EQ(spec->column, "signup_date");
  EXPECT_EQ(spec->fractions, (Fractions{{"test", 0.2}, {"train", 0.7}, {"valid", 0.1}}));
  EXPECT_EQ(spec->time_order, (Names{"train", "valid", "test"}));
}

TEST(ParseSplitSpec, TimeSplitTakesAnExplicitOrder) {
  auto spec = Parse(
      "split: { train: 0.5, a: 0.25, test: 0.25, time: { column: ts, order: [test, a, train] } "
      "}\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->column, "ts");
  EXPECT_EQ(spec->time_order, (Names{"test", "a", "train"}));
}

TEST(DefaultTimeOrder, PutsTrainFirstValidationNamesNextOthersByNameAndTestLast) {
  Fractions f = {{"holdout", 0.1}, {"test", 0.1},       {"train", 0.4}, {"val", 0.1},
                 {"valid", 0.1},   {"validation", 0.1}, {"zeta", 0.05}, {"alpha", 0.05}};
  EXPECT_EQ(DefaultTimeOrder(f),
            (Names{"train", "validation", "valid", "val", "alpha", "holdout", "zeta", "test"}));
  // Names sort "test" < "train", but time order never puts test first.
  EXPECT_EQ(DefaultTimeOrder(Fractions{{"test", 0.5}, {"train", 0.5}}), (Names{"train", "test"}));
}

struct BadSpec {
  std::string name;
  std::string yaml;
  std::string message;  // expected substring, including file:line
};

void PrintTo(const BadSpec& spec, std::ostream* out) { *out << spec.name; }

class ParseSplitSpecErrors : public ::testing::TestWithParam<BadSpec> {};

TEST_P(ParseSplitSpecErrors, ReportFileLineFieldAndWhatIsWrong) {
  auto spec = Parse(GetParam().yaml);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(spec.status().message().find(GetParam().message), std::string::npos)
      << spec.status().message();
}

// The YAML reader places a block mapping at the line of its first entry, and
// the conflict check reports the later of stratify, group, time in that order.
INSTANTIATE_TEST_SUITE_P(
    Cases, ParseSplitSpecErrors,
    ::testing::Values(
        BadSpec{"NotAMapping", "x: 1\nsplit: [train, test]\n",
                "spec.yaml:2: split: expected a mapping"},
        BadSpec{"NoFractions", "split:\n  seed: 3\n", "spec.yaml:2: split: no split fractions"},
        BadSpec{"SumBelowOne", "split:\n  train: 0.8\n  test: 0.1\n",
                "spec.yaml:2: split: the split fractions sum to 0.9"},
        BadSpec{"FractionAboveOne", "split:\n  train: 1.5\n  test: 0.2\n",
                "spec.yaml:2: split/train: expected a number in [0, 1], got '1.5'"},
        BadSpec{"ZeroFraction", "split:\n  train: 1\n  test: 0\n",
                "spec.yaml:3: split/test: a split fraction must be greater than 0"},
        BadSpec{"FractionNotANumber", "split:\n  train: most\n  test: 0.2\n",
                "spec.yaml:2: split/train: expected a number"},
        BadSpec{"BadName", "split:\n  train: 0.8\n  \"te st\": 0.2\n",
                "spec.yaml:3: split/te st: 'te st' is not a valid split name"},
        BadSpec{"NegativeSeed", "split:\n  train: 1\n  seed: -1\n",
                "spec.yaml:3: split/seed: expected an integer"},
        BadSpec{"StratifyAndGroup",
                "split:\n  train: 0.8\n  test: 0.2\n  stratify: y\n  group: g\n",
                "spec.yaml:5: split/group: 'stratify' and 'group' cannot be combined"},
        BadSpec{"GroupAndTime", "split:\n  train: 0.8\n  test: 0.2\n  time: t\n  group: g\n",
                "spec.yaml:4: split/time: 'group' and 'time' cannot be combined"},
        BadSpec{"StratifyNumber", "split:\n  train: 1\n  stratify: 3\n",
                "spec.yaml:3: split/stratify: expected true, false or a column name, got 3"},
        BadSpec{"EmptyGroupColumn", "split:\n  train: 1\n  group: \"\"\n",
                "spec.yaml:3: split/group: the column name is empty"},
        BadSpec{"GroupNotAString", "split:\n  train: 1\n  group: [a, b]\n",
                "spec.yaml:3: split/group: expected a string"},
        BadSpec{"TimeList", "split:\n  train: 1\n  time: [ts]\n",
                "spec.yaml:3: split/time: expected a column name or"},
        BadSpec{"TimeUnknownField", "split:\n  train: 1\n  time:\n    column: ts\n    sort: asc\n",
                "spec.yaml:5: split/time/sort: unknown field 'sort'"},
        BadSpec{"TimeWithoutColumn", "split:\n  train: 1\n  time:\n    order: [train]\n",
                "split/time/column: required field 'column' is missing"},
        BadSpec{"OrderUnknownName",
                "split:\n  train: 0.8\n  test: 0.2\n  time:\n    column: ts\n    order:\n"
                "      - train\n      - tset\n",
                "spec.yaml:8: split/time/order/1: 'tset' is not a split; the splits are 'test', "
                "'train'"},
        BadSpec{"OrderTwice",
                "split:\n  train: 0.8\n  test: 0.2\n  time:\n    column: ts\n    order:\n"
                "      - train\n      - train\n      - test\n",
                "spec.yaml:8: split/time/order/1: 'train' is listed twice"},
        BadSpec{"OrderMissingName",
                "split:\n  train: 0.8\n  test: 0.2\n  time:\n    column: ts\n    order: [train]\n",
                "spec.yaml:6: split/time/order: split 'test' is missing"},
        BadSpec{"OrderNotAList", "split:\n  train: 1\n  time:\n    column: ts\n    order: train\n",
                "spec.yaml:5: split/time/order: expected a list of the split names"}),
    [](const ::testing::TestParamInfo<BadSpec>& info) { return info.param.name; });

TEST(ValidateSplitSpec, AcceptsAValidSpecAndRejectsEachBrokenField) {
  SplitSpec ok = WithFractions({{"test", 0.2}, {"train", 0.8}});
  EXPECT_TRUE(ValidateSplitSpec(ok).ok());

  auto broken = [&](auto edit) {
    SplitSpec s = ok;
    edit(s);
    Status status = ValidateSplitSpec(s);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    return status.message();
  };
  EXPECT_NE(broken([](SplitSpec& s) { s.fractions.clear(); }).find("no splits"), std::string::npos);
  EXPECT_NE(broken([](SplitSpec& s) { s.fractions[1].second = 0.7; }).find("sum to 0.9"),
            std::string::npos);
  EXPECT_NE(broken([](SplitSpec& s) {
              s.fractions = {{"a", 1.0}, {"b", 0.0}};
            }).find("(0, 1]"),
            std::string::npos);
  EXPECT_NE(broken([](SplitSpec& s) {
              s.fractions = {{"a", 0.5}, {"a", 0.5}};
            }).find("twice"),
            std::string::npos);
  EXPECT_NE(broken([](SplitSpec& s) { s.fractions[0].first = "a/b"; }).find("'a/b'"),
            std::string::npos);
  EXPECT_NE(broken([](SplitSpec& s) { s.method = SplitMethod::kGroup; }).find("needs a column"),
            std::string::npos);
  EXPECT_NE(broken([](SplitSpec& s) {
              s.method = SplitMethod::kTime;
              s.column = "ts";
              s.time_order = {"train", "train"};
            }).find("exactly once"),
            std::string::npos);
  SplitSpec time = ok;
  time.method = SplitMethod::kTime;
  time.column = "ts";
  EXPECT_TRUE(ValidateSplitSpec(time).ok()) << "an empty order means the default order";
}

TEST(FitSplitIndex, PicksTrainOrTheOnlySplitAndRejectsAmbiguity) {
  EXPECT_EQ(*FitSplitIndex(WithFractions({{"test", 0.2}, {"train", 0.8}})), 1u);
  EXPECT_EQ(*FitSplitIndex(WithFractions({{"all", 1.0}})), 0u);
  auto ambiguous = FitSplitIndex(WithFractions({{"test", 0.2}, {"training", 0.8}}));
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("'test', 'training'"), std::string::npos)
      << ambiguous.status();
}

}  // namespace
}  // namespace citadel::data::split
