#include "data/ingest/csv_reader.h"

#include <gtest/gtest.h>

#include "data/data_test_util.h"
#include "data/ingest/number.h"
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

TEST(CsvReader, AutoDetectsAHeaderWhenLineOneHasANonNumber) {
  auto t = Parse("x1,x2,label\n1,2,0\n");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->has_header());
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"x1", "x2", "label"}));
  EXPECT_EQ(t->num_rows(), 1u);
}

TEST(CsvReader, AutoDetectsNoHeaderWhenLineOneIsAllNumbers) {
  auto t = Parse("1,-2.5e3, +7\n3,4,5\n");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_header());
  EXPECT_EQ(t->columns(), (std::vector<std::string>{"col_0", "col_1", "col_2"}));
  EXPECT_EQ(t->num_rows(), 2u);
  EXPECT_EQ(t->line(0), 1);
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
