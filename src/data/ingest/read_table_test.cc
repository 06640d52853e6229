// ReadTable on CSV input: where rows come from, every kind of malformed
// file, label resolution, and ReadTableFile's format detection.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "data/ingest/input_spec.h"

namespace citadel::data {
namespace {

Result<Table> Csv(std::string_view text, const InputSpec& spec = {}) {
  return ParseCsvTable(text, "t.csv", spec);
}

std::string ErrorOf(std::string_view text, const InputSpec& spec = {}) {
  auto t = Csv(text, spec);
  EXPECT_FALSE(t.ok()) << text.substr(0, 80);
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  return t.status().message();
}

bool StartsWith(const std::string& text, std::string_view prefix) {
  return text.rfind(prefix, 0) == 0;
}

TEST(ReadCsvTable, RecordsTheSourceRowIdsAndStartLineOfEveryRow) {
  auto t = Csv("a,b\r\n\r\n1,\"x\ny\"\r\n2,z\r\n\n3,w");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->source, "t.csv");
  EXPECT_EQ(t->row_ids, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(t->lines, (std::vector<int64_t>{3, 5, 7}));
  EXPECT_EQ(t->columns[1].strings, (std::vector<std::string>{"x\ny", "z", "w"}));
  EXPECT_EQ(t->Where(1), "t.csv:5");
  EXPECT_EQ(t->label, "");
}

TEST(ReadCsvTable, ReadsAHeaderlessFileAndASingleRow) {
  InputSpec spec;
  spec.csv.header = CsvOptions::Header::kAbsent;
  spec.csv.delimiter = ';';
  auto t = Csv("1;2.5;x\n", spec);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->num_rows(), 1u);
  EXPECT_EQ(t->columns[0].name, "col_0");
  EXPECT_EQ(t->columns[0].ints, std::vector<int64_t>{1});
  EXPECT_EQ(t->columns[1].floats, std::vector<double>{2.5});
  EXPECT_EQ(t->columns[2].strings, std::vector<std::string>{"x"});
  EXPECT_EQ(t->lines, std::vector<int64_t>{1});
}

TEST(ReadCsvTable, HeaderOnlyGivesColumnsAndNoRows) {
  auto t = Csv("a,b,c\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_rows(), 0u);
  ASSERT_EQ(t->num_columns(), 3u);
  EXPECT_EQ(t->columns[2].name, "c");
  EXPECT_EQ(t->columns[2].size(), 0u);
}

TEST(ReadCsvTable, EmptyFileIsAnError) {
  for (const char* text : {"", "\n\r\n", "\xEF\xBB\xBF"}) {
    EXPECT_TRUE(StartsWith(ErrorOf(text), "t.csv: the file is empty")) << ErrorOf(text);
  }
}

TEST(ReadCsvTable, RaggedRowsNameTheLineAndBothCounts) {
  EXPECT_TRUE(StartsWith(ErrorOf("a,b,c\n1,2,3\n4,5\n"), "t.csv:3: expected 3 fields, got 2;"));
  EXPECT_TRUE(StartsWith(ErrorOf("a,b,c\n1,2,3,4\n"), "t.csv:2: expected 3 fields, got 4;"));
  // A numeric last field followed by a delimiter takes the fast path: same error.
  EXPECT_TRUE(StartsWith(ErrorOf("a,b\n1,2\n3,4,\n"), "t.csv:3: expected 2 fields, got 3;"));
}

TEST(ReadCsvTable, UnterminatedQuoteNamesTheLineItOpened) {
  EXPECT_TRUE(StartsWith(ErrorOf("a,b\n1,2\n3,\"oops\n4,5\n"),
                         "t.csv:3: unterminated quoted field: the '\"' that opens field 2"));
}

TEST(ReadCsvTable, TextAfterAClosingQuoteIsAnError) {
  EXPECT_TRUE(StartsWith(ErrorOf("a,b\n\"x\"y,2\n"), "t.csv:2: unexpected character 'y'"));
}

TEST(ReadCsvTable, DuplicateHeaderNamesAreAnError) {
  EXPECT_EQ(ErrorOf("a,b,a\n1,2,3\n"),
            "t.csv:1: duplicate column name 'a' (columns 1 and 3); column names must be unique");
}

TEST(ReadCsvTable, AFieldOverMaxFieldBytesNamesTheLineTheLimitAndHowToRaiseIt) {
  const std::string huge(10 << 20, 'a');  // a 10 MB line
  std::string want =
      "t.csv:3: field 2 is longer than 1048576 bytes (input: max_field_bytes); "
      "if the field is genuine, raise max_field_bytes";
  EXPECT_TRUE(StartsWith(ErrorOf("id,note\n1,ok\n2," + huge + "\n"), want));
  // Quoted, starting on line 3 and running over later lines.
  EXPECT_TRUE(StartsWith(ErrorOf("id,note\n1,ok\n2,\"" + huge + "\n\n\"\n"), want));
  // A number takes the fast path in a float column; the limit still holds.
  EXPECT_TRUE(
      StartsWith(ErrorOf("id,note\n1,0.5\n2,0." + std::string(10 << 20, '0') + "1\n"), want));

  InputSpec raised;
  raised.max_field_bytes = 16 << 20;
  auto t = Csv("id,note\n1,ok\n2," + huge + "\n", raised);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->columns[1].strings[1].size(), huge.size());
}

TEST(ReadCsvTable, InvalidUtf8InATextColumnNamesLineAndColumnAndSuggestsIconv) {
  std::string message = ErrorOf("id,name\n1,ok\n2,caf\xE9\n");
  EXPECT_TRUE(StartsWith(message, "t.csv:3: invalid UTF-8 in column 'name' ('caf?')")) << message;
  EXPECT_NE(message.find("iconv -f latin1 -t utf-8"), std::string::npos);
  // In a column that was numeric until then.
  EXPECT_TRUE(StartsWith(ErrorOf("id,v\n1,2\n2,\xFF\n"), "t.csv:3: invalid UTF-8 in column 'v'"));
  // Header names are checked too.
  EXPECT_TRUE(
      StartsWith(ErrorOf("id,caf\xE9\n1,2\n"), "t.csv:1: invalid UTF-8 in column 2 of the header"));
}

TEST(ReadTable, ReadsGzipByContentAndResolvesTheLabel) {
  testing::ScratchDir dir;
  InputSpec spec;
  spec.path = dir.Write("data.csv", testing::Gzip("x,y,label\n1,2,cat\n3,4,dog\n"));
  spec.label = "label";
  auto t = ReadTable(spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->source, spec.path.string());
  EXPECT_EQ(t->label, "label");
  EXPECT_EQ(t->num_rows(), 2u);
  EXPECT_EQ(t->columns[2].type, ColumnType::kString);
}

TEST(ReadTable, TruncatedGzipIsAClearError) {
  testing::ScratchDir dir;
  std::string text = "a,b\n";
  for (int i = 0; i < 2000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
  std::string gz = testing::Gzip(text);
  InputSpec spec;
  spec.path = dir.Write("cut.csv.gz", gz.substr(0, gz.size() / 2));
  auto t = ReadTable(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("cut.csv.gz: truncated gzip data"), std::string::npos)
      << t.status().message();
}

TEST(ReadTable, AMissingFileIsNotFound) {
  InputSpec spec;
  spec.path = "/nonexistent/citadel/x.csv";
  EXPECT_EQ(ReadTable(spec).status().code(), StatusCode::kNotFound);
}

struct LabelCase {
  const char* label;
  const char* resolved;  // nullptr: an error starting with `error`
  const char* error;
};

TEST(ReadTable, ResolvesTheLabelByNameOrPosition) {
  testing::ScratchDir dir;
  const LabelCase cases[] = {
      {"b", "b", nullptr},
      {"-1", "c", nullptr},
      {"0", "a", nullptr},
      {"-3", "a", nullptr},
      {"", "", nullptr},
      {"3", nullptr, "label column index 3 is out of range: the table has 3 columns"},
      {"-4", nullptr, "label column index -4 is out of range"},
      {"target", nullptr, "label column 'target' not found; the columns are 'a', 'b', 'c'"},
  };
  for (const LabelCase& c : cases) {
    InputSpec spec;
    spec.path = dir.Write("t.csv", "a,b,c\n1,2,3\n");
    spec.label = c.label;
    auto t = ReadTable(spec);
    if (c.resolved != nullptr) {
      ASSERT_TRUE(t.ok()) << c.label << ": " << t.status();
      EXPECT_EQ(t->label, c.resolved) << c.label;
    } else {
      ASSERT_FALSE(t.ok()) << c.label;
      EXPECT_NE(t.status().message().find(c.error), std::string::npos) << t.status().message();
    }
  }
}

TEST(ReadTable, AColumnNamedLikeAnIndexWinsOverThePosition) {
  testing::ScratchDir dir;
  InputSpec spec;
  spec.path = dir.Write("t.csv", "x,0\n1,2\n");
  spec.csv.header = CsvOptions::Header::kPresent;
  spec.label = "0";
  auto t = ReadTable(spec);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->label, "0");
  EXPECT_EQ(t->columns[1].name, "0");
}

TEST(ReadTableFile, PicksTheFormatByContentAndExtension) {
  testing::ScratchDir dir;
  auto csv = ReadTableFile(dir.Write("plain.txt", "a,b\n1,x\n"));
  ASSERT_TRUE(csv.ok()) << csv.status();
  EXPECT_EQ(csv->num_columns(), 2u);

  auto jsonl = ReadTableFile(dir.Write("events.NDJSON.gz", testing::Gzip("{\"k\": 1}\n")));
  ASSERT_TRUE(jsonl.ok()) << jsonl.status();
  EXPECT_EQ(jsonl->columns[0].name, "k");

  const std::string idx("\x00\x00\x08\x02\x00\x00\x00\x01\x00\x00\x00\x02\x05\x06", 14);
  auto images = ReadTableFile(dir.Write("images.bin", testing::Gzip(idx)));
  ASSERT_TRUE(images.ok()) << images.status();
  EXPECT_EQ(images->columns[1].name, "pixel_1");
  EXPECT_EQ(images->columns[1].ints, std::vector<int64_t>{6});
  EXPECT_EQ(images->label, "");
}

}  // namespace
}  // namespace citadel::data
