#include "data/ingest/csv/csv_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>
#include <utility>

#include "data/data_test_util.h"
#include "data/ingest/cells/number.h"
#include "data/ingest/text_source.h"

namespace citadel::data {
namespace {

using Header = CsvOptions::Header;

Result<CsvTable> Parse(std::string_view text, Header header = Header::kAuto, char delimiter = ',') {
  return ParseCsv(text, "t.csv", CsvOptions{.header = header, .delimiter = delimiter});
}

std::vector<std::string> Row(const CsvTable& t, size_t r) {
  std::vector<std::string> out;
  for (size_t c = 0; c < t.num_columns(); ++c) out.emplace_back(t.cell(r, c));
  return out;
}

struct QuotingCase {
  const char* name;
  const char* text;
  std::vector<std::string> expected;  // the single data row
};

TEST(CsvReader, ParsesRfc4180QuotedFields) {
  const QuotingCase cases[] = {
      {"plain", "a,b,c\n1,2,3\n", {"1", "2", "3"}},
      {"embedded delimiter", "a,b,c\n1,\"x,y\",3\n", {"1", "x,y", "3"}},
      {"embedded newline", "a,b,c\n1,\"x\ny\",3\n", {"1", "x\ny", "3"}},
      {"doubled quotes", "a,b,c\n1,\"say \"\"hi\"\"\",3\n", {"1", "say \"hi\"", "3"}},
      {"empty quoted", "a,b,c\n\"\",2,\"\"\n", {"", "2", ""}},
      {"crlf line ends", "a,b,c\r\n1,\"2\",3\r\n", {"1", "2", "3"}},
      {"no final newline", "a,b,c\n1,2,3", {"1", "2", "3"}},
      {"quoted header", "\"a\",\"b,x\",c\n1,2,3\n", {"1", "2", "3"}},
      {"byte order mark",
       "\xEF\xBB\xBF"
       "a,b,c\n1,2,3\n",
       {"1", "2", "3"}},
      {"blank lines skipped", "a,b,c\n\n1,2,3\n\n", {"1", "2", "3"}},
  };
  for (const QuotingCase& c : cases) {
    auto t = Parse(c.text);
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.status().ToString();
    ASSERT_EQ(t->num_rows(), 1u) << c.name;
    EXPECT_EQ(Row(*t, 0), c.expected) << c.name;
  }
}

TEST(CsvReader, ReportsTheStartLineOfRowsSpanningLines) {
  auto t = Parse("a,b\n\"x\ny\",1\nz,2\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->line(0), 2);
  EXPECT_EQ(t->line(1), 4);
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"a", "b"}));
}

TEST(CsvReader, UsesAConfiguredDelimiter) {
  auto t = Parse("a;b\n1,5;\"x;y\"\n", Header::kPresent, ';');
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(Row(*t, 0), (std::vector<std::string>{"1,5", "x;y"}));
}

struct HeaderCase {
  const char* name;
  const char* text;
  bool header;
};

TEST(CsvReader, AutoDetectsAHeaderLikeCsvSniffer) {
  const HeaderCase cases[] = {
      {"every field text", "x1,x2,label\n1,2,0\n", true},
      {"every field text, text labels", "x1,x2,label\n1,2,cat\n", true},
      {"text above a number in some column", "id,5\n1,6\n", true},
      {"index column with an empty name", ",a,b\n0,1,2\n", true},
      {"every field a number", "1,-2.5e3, +7\n3,4,5\n", false},
      {"iris: text labels on every line",
       "5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,0.2,Iris-setosa\n", false},
      {"empty first-row cell is not a header", "1,,x\n2,3,y\n", false},
      {"numeric header names need header: true", "2019,2020,label\n5,6,a\n", false},
      {"single line, every field text", "a,b,c\n", true},
      {"single line with a number", "1.5,setosa\n", false},
  };
  for (const HeaderCase& c : cases) {
    auto t = Parse(c.text);
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.status().ToString();
    EXPECT_EQ(t->has_header(), c.header) << c.name;
  }
}

TEST(CsvReader, KeepsTheFirstRowOfAHeaderlessFileWithTextLabels) {
  auto t = Parse("5.1,3.5,1.4,0.2,Iris-setosa\n4.9,3.0,1.4,0.2,Iris-setosa\n");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_FALSE(t->has_header());
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"col_0", "col_1", "col_2", "col_3", "col_4"}));
  ASSERT_EQ(t->num_rows(), 2u);
  EXPECT_EQ(Row(*t, 0), (std::vector<std::string>{"5.1", "3.5", "1.4", "0.2", "Iris-setosa"}));
  EXPECT_EQ(t->line(0), 1);
  EXPECT_EQ(t->line(1), 2);
}

TEST(CsvReader, AutoDetectedHeaderNamesTheColumnsAndIsNotARow) {
  auto t = Parse("x1,x2,label\n1,2,0\n");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->has_header());
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"x1", "x2", "label"}));
  EXPECT_EQ(t->num_rows(), 1u);
  EXPECT_EQ(t->line(0), 2);
}

TEST(CsvReader, AutoDetectsNoHeaderWhenLineOneIsAllNumbers) {
  auto t = Parse("1,-2.5e3, +7\n3,4,5\n");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_header());
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"col_0", "col_1", "col_2"}));
  EXPECT_EQ(t->num_rows(), 2u);
  EXPECT_EQ(t->line(0), 1);
}

TEST(CsvReader, LineNumbersAreInt64) {
  // Line numbers flow into messages for files of any size; an int would wrap
  // after 2^31 lines.
  static_assert(std::is_same_v<decltype(std::declval<const CsvTable&>().line(0)), int64_t>);
  auto t = Parse("a\n\n\n7\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->line(0), int64_t{4});
}

TEST(CsvReader, InvalidUtf8InAHeaderNameIsAnErrorNamingLineAndColumn) {
  auto bad = Parse("\n\"ok\",caf\xE9,y\n1,2,3\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind("t.csv:2: invalid UTF-8 in column 2 of the header", 0), 0u)
      << bad.status().message();
  auto good = Parse("caf\xC3\xA9,y\n1,2\n");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->columns()[0], "caf\xC3\xA9");
  // Without a header the cells are data, checked where they are used.
  EXPECT_TRUE(Parse("caf\xE9,y\n1,2\n", Header::kAbsent).ok());
}

TEST(CsvReader, ExplicitHeaderSettingOverridesDetection) {
  auto present = Parse("1,2\n3,4\n", Header::kPresent);
  ASSERT_TRUE(present.ok());
  EXPECT_EQ(present->columns(), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(present->num_rows(), 1u);
  auto absent = Parse("a,b\n3,4\n", Header::kAbsent);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->num_rows(), 2u);
  EXPECT_EQ(absent->cell(0, 0), "a");
}

TEST(CsvReader, RaggedRowIsAnErrorWithItsLineNumber) {
  auto t = Parse("a,b,c\n1,2,3\n4,5\n");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), "t.csv:3: expected 3 fields, got 2");
}

TEST(CsvReader, UnterminatedQuoteIsAnErrorNamingTheLineItOpened) {
  auto t = Parse("a,b\n1,2\n3,\"oops\n4,5\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("t.csv:3: unterminated quoted field"), std::string::npos)
      << t.status().message();
}

TEST(CsvReader, TextAfterAClosingQuoteIsAnError) {
  auto t = Parse("a,b\n\"x\"y,2\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("t.csv:2: unexpected character 'y'"), std::string::npos)
      << t.status().message();
}

TEST(CsvReader, EmptyInputIsAnError) {
  for (const char* text : {"", "\n\n", "\xEF\xBB\xBF"}) {
    auto t = Parse(text);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("t.csv: the file is empty"), std::string::npos);
  }
}

TEST(CsvReader, DuplicateHeaderNamesAreRejected) {
  auto t = Parse("a,b,a\n1,2,3\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("duplicate column name 'a'"), std::string::npos);
}

TEST(CsvReader, ReadsGzipByContentNotByName) {
  testing::ScratchDir dir;
  std::string text = "a,b\n1,2\n3,4\n";
  auto gz_named_csv = dir.Write("really_gzip.csv", testing::Gzip(text));
  auto csv_named_gz = dir.Write("really_plain.csv.gz", text);
  for (const auto& path : {gz_named_csv, csv_named_gz}) {
    auto t = ReadCsv(path, {});
    ASSERT_TRUE(t.ok()) << path << ": " << t.status().ToString();
    EXPECT_EQ(t->num_rows(), 2u);
    EXPECT_EQ(t->cell(1, 1), "4");
  }
}

TEST(CsvReader, ReadsConcatenatedGzipMembers) {
  auto t = Gunzip(testing::Gzip("a,b\n") + testing::Gzip("1,2\n"), "two.gz");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, "a,b\n1,2\n");
}

TEST(CsvReader, TruncatedGzipIsAClearError) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
  std::string gz = testing::Gzip(text);
  for (size_t keep : {gz.size() - 4, gz.size() / 2, size_t{2}}) {
    auto t = Gunzip(std::string_view(gz).substr(0, keep), "cut.csv.gz");
    ASSERT_FALSE(t.ok()) << keep;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("cut.csv.gz: truncated gzip data"), std::string::npos)
        << t.status().message();
  }
}

TEST(CsvReader, CorruptGzipIsAClearError) {
  std::string gz = testing::Gzip("a,b\n1,2\n");
  gz[gz.size() - 6] ^= 0x55;  // inside the CRC-32 trailer
  auto t = Gunzip(gz, "bad.gz");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("bad.gz: corrupt gzip data"), std::string::npos)
      << t.status().message();
  auto trailing = Gunzip(testing::Gzip("x\n") + "junk", "tail.gz");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.status().message().find("unexpected bytes after the end"), std::string::npos);
}

TEST(Gunzip, RefusesOutputBeyondTheCapAsAPossibleGzipBomb) {
  const std::string zeros(1 << 20, '\0');
  std::string gz = testing::Gzip(zeros);
  ASSERT_LT(gz.size(), 8192u);  // ~1000:1, the shape of a bomb
  auto capped = Gunzip(gz, "bomb.csv.gz", 64 << 10);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(capped.status().message(),
            "bomb.csv.gz: decompresses to more than 65536 bytes; refusing (possible gzip bomb)");
  auto one_short = Gunzip(gz, "bomb.csv.gz", zeros.size() - 1);
  EXPECT_FALSE(one_short.ok());
  auto exact = Gunzip(gz, "bomb.csv.gz", zeros.size());
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(*exact, zeros);
}

TEST(Gunzip, CapCountsEveryConcatenatedMember) {
  std::string half(1 << 19, 'a');
  std::string gz = testing::Gzip(half) + testing::Gzip(half);
  EXPECT_TRUE(Gunzip(gz, "two.gz", 1 << 20).ok());
  auto over = Gunzip(gz, "two.gz", (1 << 20) - 1);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("possible gzip bomb"), std::string::npos);
}

TEST(Gunzip, DefaultCapIsEightGibibytes) { EXPECT_EQ(kMaxDecompressedBytes, uint64_t{8} << 30); }

TEST(CsvReader, MissingFileIsNotFound) {
  auto t = ReadCsv("/nonexistent/citadel/x.csv", {});
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
}

TEST(Number, AcceptsDecimalAndScientificButNotMissingValues) {
  EXPECT_EQ(ParseNumber("1.5"), 1.5);
  EXPECT_EQ(ParseNumber(" -2e3 "), -2000.0);
  EXPECT_EQ(ParseNumber("+4"), 4.0);
  for (const char* bad : {"", " ", "nan", "inf", "1.2.3", "abc", "1e999", "+-1", "0x10"}) {
    EXPECT_FALSE(ParseNumber(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace citadel::data
