// The chunked, multi-threaded CSV parse gives exactly the table and the error
// of the one-thread parse: seeded inputs with every kind of field, parsed with
// tiny chunks (min_chunk_bytes = 1) on several threads.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "base/random.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

Result<Table> Parse(std::string_view text, size_t threads, const InputSpec& spec = {}) {
  CsvParallelism parallelism;
  parallelism.threads = threads;
  parallelism.min_chunk_bytes = 1;
  return ParseCsvTable(text, "t.csv", spec, parallelism);
}

// Bit-for-bit equality, so -0.0 differs from 0.0 and NaN equals itself.
bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void ExpectSameTables(const Table& a, const Table& b) {
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.lines, b.lines);
  EXPECT_EQ(a.row_ids, b.row_ids);
  ASSERT_EQ(a.num_columns(), b.num_columns());
  for (size_t c = 0; c < a.num_columns(); ++c) {
    const Column& x = a.columns[c];
    const Column& y = b.columns[c];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.valid, y.valid);
    EXPECT_EQ(x.ints, y.ints);
    EXPECT_TRUE(SameBits(x.floats, y.floats));
    EXPECT_EQ(x.strings, y.strings);
    EXPECT_EQ(x.sources, y.sources);
  }
}

// Parses `text` on 1 thread and on several, and checks that every parse
// gives the same table or the same error. Returns the one-thread result.
Result<Table> ParseEveryWay(std::string_view text, const InputSpec& spec = {}) {
  Result<Table> one = Parse(text, 1, spec);
  for (size_t threads : {2, 3, 4, 7, 16}) {
    SCOPED_TRACE(fmt::format("{} threads", threads));
    Result<Table> many = Parse(text, threads, spec);
    EXPECT_EQ(one.ok(), many.ok());
    if (!one.ok() || !many.ok()) {
      EXPECT_EQ(one.status().ToString(), many.status().ToString());
      continue;
    }
    ExpectSameTables(*one, *many);
  }
  return one;
}

std::string QuotedText(SeededRng& rng) {
  static const char* kPieces[] = {"a", ",", "\n", "\"\"", "\r\n", " ", "é", "x;y"};
  std::string field = "\"";
  for (uint64_t i = 0, n = rng.Below(6); i < n; ++i) field += kPieces[rng.Below(8)];
  return field + "\"";
}

// A row of mixed cells: int, float, quoted text, a date, a bool and a
// column that is sometimes missing.
std::string MixedRow(SeededRng& rng, std::string_view line_end) {
  std::string row = fmt::format("{},", static_cast<int64_t>(rng.Below(2000)) - 1000);
  row += fmt::format("{}.{},", static_cast<int64_t>(rng.Below(200)) - 100, rng.Below(10000));
  row += QuotedText(rng) + ",";
  row += fmt::format("20{:02}-{:02}-{:02},", rng.Below(30), 1 + rng.Below(12), 1 + rng.Below(28));
  row += rng.Below(2) ? "true," : "FALSE,";
  static const char* kMaybe[] = {"", "NA", "7", "-0", " 12 ", "null"};
  row += kMaybe[rng.Below(6)];
  return row + std::string(line_end);
}

std::string MixedFile(uint64_t seed, size_t rows, std::string_view line_end) {
  SeededRng rng(seed);
  std::string text = fmt::format("i,f,s,d,b,m{}", line_end);
  for (size_t r = 0; r < rows; ++r) {
    text += MixedRow(rng, line_end);
    if (rng.Below(50) == 0) text += line_end;  // a blank line
  }
  return text;
}

TEST(ParallelCsv, MixedSeededFilesGiveTheSameTableOnEveryThreadCount) {
  for (uint64_t seed : {1, 2, 3}) {
    for (std::string_view line_end : {"\n", "\r\n"}) {
      std::string text = MixedFile(seed, 400, line_end);
      auto t = ParseEveryWay(text);
      ASSERT_TRUE(t.ok()) << t.status();
      ASSERT_EQ(t->num_rows(), 400u);
      EXPECT_EQ(t->columns[0].type, ColumnType::kInt);
      EXPECT_EQ(t->columns[1].type, ColumnType::kFloat);
      EXPECT_EQ(t->columns[2].type, ColumnType::kString);
      EXPECT_EQ(t->columns[3].type, ColumnType::kTimestamp);
      EXPECT_EQ(t->columns[4].type, ColumnType::kBool);
      EXPECT_EQ(t->columns[5].type, ColumnType::kInt);
    }
  }
}

TEST(ParallelCsv, IntsInTheFirstHalfAndFloatsInTheSecondGiveAFloatColumn) {
  std::string text = "x,y\n";
  for (int r = 0; r < 300; ++r) text += fmt::format("{},{}\n", r, r < 150 ? "5" : "2.5");
  auto t = ParseEveryWay(text);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->columns[1].type, ColumnType::kFloat);
  EXPECT_EQ(t->columns[1].floats[0], 5.0);
  EXPECT_EQ(t->columns[1].floats[299], 2.5);
}

TEST(ParallelCsv, MinusZeroIsAFloatZeroWithSignOnlyAfterTheFirstFloat) {
  // Before the first float, "-0" is read as the int 0 (no sign); after it,
  // as the float -0.0. The chunks must not change which is which.
  std::string text = "x\n-0\n";
  for (int r = 0; r < 200; ++r) text += "1\n";
  text += "0.5\n";
  for (int r = 0; r < 200; ++r) text += r % 2 ? "-0\n" : "3\n";
  auto t = ParseEveryWay(text);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::vector<double>& f = t->columns[0].floats;
  ASSERT_EQ(f.size(), 402u);
  EXPECT_FALSE(std::signbit(f[0]));
  EXPECT_EQ(f[202], 3.0);
  EXPECT_TRUE(std::signbit(f[203]));
  EXPECT_EQ(f[203], 0.0);
}

TEST(ParallelCsv, AStringOnlyInTheLastRowKeepsTheTextOfEveryRow) {
  std::string text = "n,v\n";
  for (int r = 0; r < 300; ++r) text += fmt::format("{},{}\n", r, r % 3 == 0 ? "+7" : " 8");
  text += "300,abc\n";
  auto t = ParseEveryWay(text);
  ASSERT_TRUE(t.ok()) << t.status();
  const Column& v = t->columns[1];
  ASSERT_EQ(v.type, ColumnType::kString);
  EXPECT_EQ(v.strings[0], "+7");
  EXPECT_EQ(v.strings[1], " 8");
  EXPECT_EQ(v.strings[300], "abc");
  EXPECT_EQ(t->columns[0].type, ColumnType::kInt);
}

TEST(ParallelCsv, AQuotedFieldSpanningManyLinesIsOneCellWhereverTheCutsFall) {
  std::string big = "\"";
  for (int i = 0; i < 500; ++i) big += fmt::format("line {}, \"\"q\"\"\n", i);
  big += "\"";
  std::string text = "a,b\n1,x\n2," + big + "\n3,y\n";
  auto t = ParseEveryWay(text);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->num_rows(), 3u);
  EXPECT_EQ(t->lines, (std::vector<int64_t>{2, 3, 504}));
  EXPECT_EQ(t->columns[1].strings[1].substr(0, 16), "line 0, \"q\"\nline");
}

TEST(ParallelCsv, StrayQuotesInsidePlainFieldsDoNotMisplaceTheCuts) {
  // A '"' inside an unquoted field is a plain character, so counting quotes
  // takes the newline inside the next quoted field for a record end; the
  // result must still be the sequential one.
  std::string text = "len,note\n";
  for (int r = 0; r < 300; ++r) {
    text += r % 3 == 0 ? fmt::format("{},5\"\n", r) : fmt::format("{},\"a\nb\"\n", r);
  }
  auto t = ParseEveryWay(text);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->num_rows(), 300u);
  EXPECT_EQ(t->columns[1].strings[0], "5\"");
  EXPECT_EQ(t->columns[1].strings[1], "a\nb");
  EXPECT_EQ(t->lines[299], 2 + 299 + 199);  // 199 rows before it span two lines
}

TEST(ParallelCsv, TheFirstErrorInFileOrderIsReported) {
  std::string text = "a,b\n";
  for (int r = 0; r < 400; ++r) {
    if (r == 250) text += "1,2,3\n";  // line 252: ragged
    if (r == 390) text += "1\n";      // line 393: ragged too, later
    text += fmt::format("{},{}\n", r, r);
  }
  auto t = ParseEveryWay(text);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "t.csv:252: expected 2 fields, got 3; every row needs one field per column (quote a "
            "field that contains the delimiter)");
}

TEST(ParallelCsv, ACellErrorInALaterChunkNamesItsLine) {
  InputSpec spec;
  spec.schema = {{"a", ColumnType::kInt}};
  std::string text = "a,b\n";
  for (int r = 0; r < 300; ++r) text += fmt::format("{},\"x\ny\"\n", r == 280 ? "1.5" : "4");
  auto t = ParseEveryWay(text, spec);
  ASSERT_FALSE(t.ok());
  // Row r starts on line 2 + 2r: each row spans two lines.
  EXPECT_EQ(t.status().message().substr(0, 42), "t.csv:562: column 'a': expected int, got '");
}

TEST(ParallelCsv, AnUnterminatedQuoteNearTheEndIsReportedOnItsLine) {
  std::string text = "a,b\n";
  for (int r = 0; r < 300; ++r) text += fmt::format("{},z\n", r);
  text += "9,\"never closed\n1,2\n";
  auto t = ParseEveryWay(text);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message().substr(0, 34), "t.csv:302: unterminated quoted fie");
}

TEST(ParallelCsv, AFieldOverMaxFieldBytesInALaterChunkIsTheSameError) {
  InputSpec spec;
  spec.max_field_bytes = 8;
  std::string text = "a\n";
  for (int r = 0; r < 300; ++r) text += r == 200 ? "123456789\n" : "12345678\n";
  auto t = ParseEveryWay(text, spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message().substr(0, 47), "t.csv:202: field 1 is longer than 8 bytes (inpu");
}

TEST(ParallelCsv, InvalidUtf8InALaterChunkIsTheSameError) {
  std::string text = "a,s\n";
  for (int r = 0; r < 300; ++r) text += fmt::format("{},{}\n", r, r == 222 ? "\xff" : "ok");
  auto t = ParseEveryWay(text);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message().substr(0, 39), "t.csv:224: invalid UTF-8 in column 's' ");
}

TEST(ParallelCsv, AHeaderOnlyFileAndAllMissingColumnsMatch) {
  auto empty = ParseEveryWay("a,b\n");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->num_rows(), 0u);
  std::string text = "a,b\n";
  for (int r = 0; r < 100; ++r) text += fmt::format("{},\n", r);
  auto t = ParseEveryWay(text);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->columns[1].type, ColumnType::kFloat);
  EXPECT_EQ(t->columns[1].CountMissing(), 100u);
}

TEST(ParallelCsv, TheDefaultThreadCountGivesTheOneThreadTable) {
  // threads = 0: one per usable CPU.
  std::string text = MixedFile(9, 2000, "\n");
  auto a = Parse(text, 1);
  auto b = Parse(text, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  ExpectSameTables(*a, *b);
}

}  // namespace
}  // namespace citadel::data
