// The fast path for plain records gives exactly what the general path gives:
// seeded random files (numbers plain and not, quoted fields with delimiters,
// doubled quotes and line breaks, CRLF, blank lines, missing values, and now
// and then a ragged row, an unterminated quote, invalid UTF-8, a field over
// the limit or a cell of the wrong declared type) are parsed by the general
// path alone and by the fast path with every index kernel; the columns, row
// lines and offsets, or the error, must be the same.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/random.h"
#include "data/ingest/csv/csv_chunk_parser.h"
#include "data/ingest/csv/csv_reader.h"

namespace citadel::data {
namespace {

using Kernel = FieldEndIndex::Kernel;

struct Parsed {
  Status status;
  std::vector<Column> columns;
  std::vector<int64_t> lines;
  std::vector<size_t> row_begins;
  size_t end = 0;
};

Parsed ParseChunk(std::string_view text, const InputSpec& spec, bool plain_records, Kernel kernel) {
  Parsed out;
  Result<CsvLayout> layout = DetectCsvLayout(text, "t.csv", spec.csv);
  if (!layout.ok()) {
    out.status = layout.status();
    return out;
  }
  const MissingTokens missing(spec.missing_values);
  CsvChunkInput input{text, "t.csv", &spec, &missing};
  input.plain_records = plain_records;
  input.kernel = kernel;
  CsvChunk chunk;
  chunk.begin = layout->data_begin;
  chunk.stop = text.size();
  chunk.line = layout->data_line;
  chunk.builders = MakeBuilders(layout->columns, spec.schema);
  out.status = ParseCsvChunk(input, chunk);
  if (out.status.ok()) out.status = FillEarlierText(input, chunk);
  if (!out.status.ok()) return out;
  for (ColumnBuilder& b : chunk.builders) out.columns.push_back(std::move(b).Finish());
  out.lines = chunk.lines;
  out.row_begins = chunk.row_begins;
  out.end = chunk.end;
  return out;
}

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void ExpectSame(const Parsed& want, const Parsed& got) {
  ASSERT_EQ(want.status.ToString(), got.status.ToString());
  EXPECT_EQ(want.lines, got.lines);
  EXPECT_EQ(want.row_begins, got.row_begins);
  EXPECT_EQ(want.end, got.end);
  ASSERT_EQ(want.columns.size(), got.columns.size());
  for (size_t c = 0; c < want.columns.size(); ++c) {
    const Column& x = want.columns[c];
    const Column& y = got.columns[c];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.valid, y.valid);
    EXPECT_EQ(x.ints, y.ints);
    EXPECT_TRUE(SameBits(x.floats, y.floats));
    EXPECT_EQ(x.strings, y.strings);
  }
}

// Checks the fast path with every kernel against the general path.
Parsed ExpectEveryPathAgrees(std::string_view text, const InputSpec& spec) {
  Parsed general = ParseChunk(text, spec, false, Kernel::kScalar);
  for (Kernel kernel : {Kernel::kScalar, Kernel::kSse2, Kernel::kAvx2}) {
    if (!FieldEndIndex::KernelAvailable(kernel)) continue;
    SCOPED_TRACE(fmt::format("kernel {}", static_cast<int>(kernel)));
    ExpectSame(general, ParseChunk(text, spec, true, kernel));
  }
  return general;
}

// One field of a column whose cells are mostly of one `style`.
std::string RandomField(SeededRng& rng, int style, char delimiter) {
  auto digits = [&rng](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += static_cast<char>('0' + rng.Below(10));
    return s;
  };
  if (rng.Below(40) == 0) {
    static const char* kOdd[] = {"",
                                 "NA",
                                 " 12 ",
                                 "+3",
                                 "1e5",
                                 "-0",
                                 "-0.0",
                                 "inf",
                                 ".5",
                                 "5.",
                                 "1234567890123456789",
                                 "0.00000000000000001",
                                 "abc",
                                 "\"q\"\"uoted\"",
                                 "\"a\nb\"",
                                 "\"x,y\"",
                                 "1\r2",
                                 "2\"",
                                 "-"};
    return kOdd[rng.Below(sizeof(kOdd) / sizeof(kOdd[0]))];
  }
  switch (style) {
    case 0:  // floats as exports print them
      return (rng.Below(2) ? "-" : "") + digits(1 + rng.Below(5)) + "." + digits(rng.Below(9));
    case 1:  // ints
      return (rng.Below(3) == 0 ? "-" : "") + digits(1 + rng.Below(17));
    case 2:  // text, quoted when it holds what needs quoting
    {
      static const char* kPieces[] = {"a", "é", " ", "x", "\n", "\"", "\r\n", ";", ","};
      std::string s;
      for (uint64_t i = 0, n = rng.Below(6); i < n; ++i) s += kPieces[rng.Below(9)];
      bool quote = s.find_first_of(std::string("\n\r\"") + delimiter) != std::string::npos ||
                   rng.Below(5) == 0;
      if (!quote) return s;
      std::string quoted = "\"";
      for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      return quoted + "\"";
    }
    default:  // long and scientific numbers, which the plain parser leaves
      return digits(1 + rng.Below(3)) + "." + digits(14 + rng.Below(6)) +
             (rng.Below(2) ? "e-" + digits(1 + rng.Below(2)) : "");
  }
}

std::string RandomFile(SeededRng& rng, size_t width, size_t rows, char delimiter, bool malformed) {
  std::vector<int> styles(width);
  std::string text;
  for (size_t c = 0; c < width; ++c) {
    styles[c] = static_cast<int>(rng.Below(4));
    text += fmt::format("{}c{}", c ? std::string(1, delimiter) : "", c);
  }
  text += "\n";
  for (size_t r = 0; r < rows; ++r) {
    size_t fields = width;
    if (malformed && rng.Below(300) == 0) fields = rng.Below(2) ? width + 1 : width - 1;
    for (size_t c = 0; c < fields; ++c) {
      if (c) text += delimiter;
      text += RandomField(rng, styles[c % width], delimiter);
    }
    if (malformed && rng.Below(400) == 0) {
      static const char* kBroken[] = {"\xff", "\"open", "\"x\"y"};
      text += kBroken[rng.Below(3)];
    }
    if (r + 1 < rows || rng.Below(2)) text += rng.Below(4) == 0 ? "\r\n" : "\n";
    if (rng.Below(60) == 0) text += rng.Below(2) ? "\n" : "\r\n";  // a blank line
  }
  return text;
}

TEST(PlainRecord, SeededWellFormedFilesReadTheSameOnEveryPath) {
  SeededRng rng(2026);
  for (int round = 0; round < 40; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    const size_t width = 1 + rng.Below(7);
    // Some files are large enough for the index to refill its window.
    const size_t rows = round % 8 == 0 ? 6000 : 1 + rng.Below(300);
    const char delimiter = round % 3 == 0 ? ';' : ',';
    InputSpec spec;
    spec.csv.delimiter = delimiter;
    spec.csv.header = CsvOptions::Header::kPresent;
    if (round % 5 == 1) spec.missing_values = {"NA", ""};
    if (round % 5 == 2) spec.missing_values = {"-0"};  // numeric: the plain numbers step aside
    const std::string text = RandomFile(rng, width, rows, delimiter, false);
    Parsed parsed = ExpectEveryPathAgrees(text, spec);
    EXPECT_TRUE(parsed.status.ok()) << parsed.status;
  }
}

TEST(PlainRecord, SeededMalformedFilesFailTheSameOnEveryPath) {
  SeededRng rng(4181);
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    const size_t width = 2 + rng.Below(5);
    InputSpec spec;
    spec.csv.header = CsvOptions::Header::kPresent;
    if (round % 4 == 1) spec.max_field_bytes = 6;
    if (round % 4 == 2) spec.schema = {{"c0", ColumnType::kInt}, {"c1", ColumnType::kFloat}};
    if (round % 4 == 3) spec.schema = {{"c1", ColumnType::kString}};
    const std::string text = RandomFile(rng, width, 50 + rng.Below(1500), ',', true);
    ExpectEveryPathAgrees(text, spec);
  }
}

TEST(PlainRecord, NumbersNearTheEndOfTheTextAreStillExact) {
  // The last fields are too close to the end for the plain parser's reads:
  // they take the general rule, with the same values.
  InputSpec spec;
  for (const char* text : {"x,y\n1.5,2\n", "x,y\n1.5,-0.25\r\n", "x\n0.1\n0.2\n0.3\n",
                           "a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n13,14\n15,16\n"}) {
    SCOPED_TRACE(text);
    Parsed parsed = ExpectEveryPathAgrees(text, spec);
    EXPECT_TRUE(parsed.status.ok()) << parsed.status;
  }
}

TEST(PlainRecord, AWideFileOfShortRecordsCrossesManyWindows) {
  InputSpec spec;
  std::string text = "a,b,c\n";
  for (int r = 0; r < 20000; ++r) text += fmt::format("{},{}.{},-{}\n", r, r % 97, r % 13, r);
  Parsed parsed = ExpectEveryPathAgrees(text, spec);
  ASSERT_TRUE(parsed.status.ok()) << parsed.status;
  ASSERT_EQ(parsed.lines.size(), 20000u);
  EXPECT_EQ(parsed.columns[0].type, ColumnType::kInt);
  EXPECT_EQ(parsed.columns[1].floats[12345], 26.8);  // "26.8"
}

}  // namespace
}  // namespace citadel::data
