#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

Result<Table> Jsonl(std::string_view text, const InputSpec& spec = {}) {
  return ParseJsonlTable(text, "t.jsonl", spec);
}

std::string ErrorOf(std::string_view text, const InputSpec& spec = {}) {
  auto t = Jsonl(text, spec);
  EXPECT_FALSE(t.ok()) << text.substr(0, 80);
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return t.status().message();
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(ReadJsonlTable, ColumnsAreTheUnionOfKeysInFirstSeenOrder) {
  auto t = Jsonl(
      "{\"z\": 1, \"a\": \"x\"}\n"
      "\n"
      "{\"a\": \"y\", \"m\": true}\r\n"
      "  \n"
      "{\"m\": null}\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->num_columns(), 3u);
  EXPECT_EQ(t->columns[0].name, "z");
  EXPECT_EQ(t->columns[1].name, "a");
  EXPECT_EQ(t->columns[2].name, "m");
  EXPECT_EQ(t->lines, (std::vector<int64_t>{1, 3, 5}));
  EXPECT_EQ(t->row_ids, (std::vector<int64_t>{0, 1, 2}));

  const Column& z = t->columns[0];
  EXPECT_EQ(z.type, ColumnType::kInt);
  EXPECT_EQ(z.valid, (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_EQ(z.ints[0], 1);
  const Column& a = t->columns[1];
  EXPECT_EQ(a.type, ColumnType::kString);
  EXPECT_EQ(a.valid, (std::vector<uint8_t>{1, 1, 0}));
  EXPECT_EQ(a.strings[1], "y");
  const Column& m = t->columns[2];
  EXPECT_EQ(m.type, ColumnType::kBool);
  EXPECT_EQ(m.valid, (std::vector<uint8_t>{0, 1, 0}));  // null is missing
  EXPECT_EQ(m.ints[1], 1);
}

TEST(ReadJsonlTable, TypesValuesLikeCsvCells) {
  auto t = Jsonl(
      "{\"n\": 1, \"f\": 2, \"d\": \"2024-01-02\", \"s\": \"5\", \"big\": 18446744073709551615, "
      "\"na\": \"NA\"}\n"
      "{\"n\": 2, \"f\": 2.5, \"d\": \"2024-01-03T04:05:06Z\", \"s\": \"7\", \"big\": 1, "
      "\"na\": null}\n");
  ASSERT_TRUE(t.ok()) << t.status();
  const Column* n = t->Find("n");
  EXPECT_EQ(n->type, ColumnType::kInt);
  EXPECT_EQ(n->ints, (std::vector<int64_t>{1, 2}));
  const Column* f = t->Find("f");
  EXPECT_EQ(f->type, ColumnType::kFloat);  // int and float mixed
  EXPECT_EQ(f->floats, (std::vector<double>{2.0, 2.5}));
  const Column* d = t->Find("d");
  EXPECT_EQ(d->type, ColumnType::kTimestamp);
  EXPECT_EQ(d->ints, (std::vector<int64_t>{1704153600000000, 1704254706000000}));
  const Column* s = t->Find("s");
  EXPECT_EQ(s->type, ColumnType::kInt);  // strings are inferred
  EXPECT_EQ(s->ints, (std::vector<int64_t>{5, 7}));
  const Column* big = t->Find("big");
  EXPECT_EQ(big->type, ColumnType::kFloat);  // beyond int64
  EXPECT_EQ(big->floats[0], 18446744073709551615.0);
  const Column* na = t->Find("na");
  EXPECT_EQ(na->type, ColumnType::kFloat);  // a missing token and a null: all missing
  EXPECT_EQ(na->CountMissing(), 2u);
}

TEST(ReadJsonlTable, AColumnThatTurnsIntoTextKeepsTheWrittenTextOfEarlierValues) {
  auto t = Jsonl(
      "{\"v\": 1.50}\n"
      "{\"v\": 7}\n"
      "{\"v\": true}\n"
      "{\"v\": null}\n"
      "{\"v\": \"x\"}\n");
  ASSERT_TRUE(t.ok()) << t.status();
  const Column& v = t->columns[0];
  ASSERT_EQ(v.type, ColumnType::kString);
  EXPECT_EQ(v.strings[0], "1.50");
  EXPECT_EQ(v.strings[1], "7");
  EXPECT_EQ(v.strings[2], "true");
  EXPECT_FALSE(v.is_valid(3));
  EXPECT_EQ(v.strings[4], "x");
}

TEST(ReadJsonlTable, DeclaredTypesAreEnforced) {
  InputSpec spec;
  spec.schema = {{"d", ColumnType::kString}, {"age", ColumnType::kInt}};
  auto t = Jsonl("{\"d\": \"2024-01-02\", \"age\": 3}\n", spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->Find("d")->type, ColumnType::kString);
  EXPECT_EQ(t->Find("d")->strings[0], "2024-01-02");

  EXPECT_TRUE(StartsWith(ErrorOf("{\"age\": 3}\n{\"age\": \"abc\"}\n", spec),
                         "t.jsonl:2: column 'age': expected int, got 'abc'"));
  EXPECT_TRUE(StartsWith(ErrorOf("{\"age\": 3}\n\n{\"age\": 2.5}\n", spec),
                         "t.jsonl:3: column 'age': expected int, got '2.5'"));
  EXPECT_TRUE(StartsWith(ErrorOf("{\"age\": 3}\n", spec),
                         "t.jsonl: column 'd' in input: schema is not in the file"));
}

TEST(ReadJsonlTable, NestedValuesAreAnErrorNamingLineAndKey) {
  EXPECT_TRUE(StartsWith(ErrorOf("{\"a\": 1}\n{\"a\": 2, \"meta\": {\"x\": 1}}\n"),
                         "t.jsonl:2: key 'meta' holds a nested object; columns must be scalars"));
  std::string message = ErrorOf("{\"tags\": [1, 2]}\n");
  EXPECT_TRUE(StartsWith(message, "t.jsonl:1: key 'tags' holds a nested array")) << message;
  EXPECT_NE(message.find("flatten it"), std::string::npos);
}

TEST(ReadJsonlTable, MalformedLinesNameTheLineAndTheParserMessage) {
  std::string message = ErrorOf("{\"a\": 1}\n{\"a\": 2\n");
  EXPECT_TRUE(StartsWith(message, "t.jsonl:2: invalid JSON: parse error at column 8")) << message;
  EXPECT_TRUE(StartsWith(ErrorOf("{\"a\": 1} x\n"), "t.jsonl:1: invalid JSON:"));
  EXPECT_TRUE(StartsWith(ErrorOf("{\"a\": tru}\n"), "t.jsonl:1: invalid JSON:"));
  EXPECT_TRUE(StartsWith(ErrorOf("{\"a\": \"caf\xE9\"}\n"), "t.jsonl:1: invalid JSON:"));
  EXPECT_TRUE(StartsWith(ErrorOf("[1, 2]\n"), "t.jsonl:1: expected a JSON object, got an array"));
  EXPECT_TRUE(StartsWith(ErrorOf("{}\n5\n"), "t.jsonl:2: expected a JSON object, got a number"));
  EXPECT_TRUE(StartsWith(ErrorOf("{\"a\": 1, \"a\": 2}\n"),
                         "t.jsonl:1: key 'a' appears twice in the object"));
}

TEST(ReadJsonlTable, EmptyInputIsAnError) {
  for (const char* text : {"", "\n \n\r\n"}) {
    EXPECT_TRUE(StartsWith(ErrorOf(text), "t.jsonl: the file is empty (no JSON objects)"));
  }
}

TEST(ReadJsonlTable, AStringOverMaxFieldBytesIsAnError) {
  InputSpec spec;
  spec.max_field_bytes = 8;
  EXPECT_TRUE(StartsWith(ErrorOf("{\"k\": \"12345678\"}\n{\"k\": \"123456789\"}\n", spec),
                         "t.jsonl:2: the string of key 'k' is longer than 8 bytes"));
}

TEST(ReadJsonlTable, KeysThatChangeOnEveryLineCannotExhaustMemory) {
  // 3000 lines of one new key each would be a 3000 × 3000 table from 50 kB.
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "{\"key" + std::to_string(i) + "\": 1}\n";
  std::string message = ErrorOf(text);
  EXPECT_NE(message.find("distinct keys over"), std::string::npos) << message;
  // The same keys on every line are fine at any length.
  std::string dense;
  for (int i = 0; i < 3000; ++i) dense += "{\"a\": 1, \"b\": 2}\n";
  EXPECT_TRUE(Jsonl(dense).ok());
}

TEST(ReadJsonlTable, ReadTableReadsGzipByContentAndResolvesTheLabel) {
  testing::ScratchDir dir;
  InputSpec spec;
  spec.format = InputSpec::Format::kJsonl;
  spec.path =
      dir.Write("e.jsonl", testing::Gzip("{\"x\": 1, \"y\": \"a\"}\n{\"x\": 2, \"y\": \"b\"}\n"));
  spec.label = "-1";
  auto t = ReadTable(spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->label, "y");
  EXPECT_EQ(t->num_rows(), 2u);
}

}  // namespace
}  // namespace citadel::data
