#include "data/generate/messy_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "base/random.h"
#include "data/generate/synthetic_pii.h"
#include "data/ingest/csv/csv_reader.h"
#include "data/pii/check_digits.h"
#include "data/pii/pii_detector.h"

namespace citadel::data {
namespace {

struct Generated {
  std::string csv;
  std::vector<PiiTruth> truth;
};

Generated Generate(const GeneratorOptions& options) {
  std::ostringstream out;
  auto truth = GenerateMessyCsv(options, out);
  EXPECT_TRUE(truth.ok()) << truth.status().ToString();
  return {out.str(), truth.ok() ? std::move(*truth) : std::vector<PiiTruth>{}};
}

CsvTable Parse(const std::string& csv) {
  CsvOptions options;
  options.header = CsvOptions::Header::kPresent;
  auto table = ParseCsv(csv, "generated.csv", options);
  EXPECT_TRUE(table.ok()) << table.status().ToString();
  return std::move(*table);
}

size_t ColumnIndex(const CsvTable& table, std::string_view name) {
  const auto& columns = table.columns();
  return static_cast<size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
}

// 20k rows, seed 7, default rates: generated once for the statistical tests.
const Generated& Large() {
  static const Generated* large = [] {
    GeneratorOptions options;
    options.rows = 20000;
    options.seed = 7;
    return new Generated(Generate(options));
  }();
  return *large;
}

const CsvTable& LargeTable() {
  static const CsvTable* table = new CsvTable(Parse(Large().csv));
  return *table;
}

TEST(MessyGenerator, SameSeedGivesIdenticalBytes) {
  GeneratorOptions options;
  options.rows = 2000;
  options.seed = 42;
  Generated a = Generate(options);
  Generated b = Generate(options);
  EXPECT_EQ(a.csv, b.csv);
  EXPECT_EQ(a.truth.size(), b.truth.size());
  options.seed = 43;
  EXPECT_NE(Generate(options).csv, a.csv);
}

TEST(MessyGenerator, WritesRequestedRowsWithUniformWidth) {
  GeneratorOptions options;
  options.rows = 3000;
  options.seed = 1;
  Generated g = Generate(options);
  CsvTable table = Parse(g.csv);  // the reader rejects ragged rows
  EXPECT_EQ(table.num_rows(), 3000u);
  EXPECT_EQ(table.columns(), MessyColumns(true));
  EXPECT_EQ(table.num_columns(), 15u);
  // Notes hold quotes, commas and line breaks: more lines than records.
  EXPECT_GT(std::count(g.csv.begin(), g.csv.end(), '\n'), 3001);
}

TEST(MessyGenerator, RatesAreRoughlyAsAsked) {
  const CsvTable& t = LargeTable();
  const double rows = static_cast<double>(t.num_rows());
  size_t id = ColumnIndex(t, "customer_id");
  size_t churned = ColumnIndex(t, "churned");
  size_t age = ColumnIndex(t, "age");
  size_t income = ColumnIndex(t, "income");
  int64_t missing = 0;
  int64_t nullable_cells = 0;
  int64_t outliers = 0;
  std::set<std::string_view> ids;
  for (size_t r = 0; r < t.num_rows(); ++r) {
    ASSERT_FALSE(t.cell(r, id).empty()) << "row " << r;
    ASSERT_TRUE(t.cell(r, churned) == "0" || t.cell(r, churned) == "1") << "row " << r;
    ids.insert(t.cell(r, id));
    for (size_t c = 0; c < t.num_columns(); ++c) {
      if (c == id || c == churned) continue;
      ++nullable_cells;
      missing += t.cell(r, c).empty();
    }
    std::string a(t.cell(r, age));
    std::string in(t.cell(r, income));
    bool age_out = !a.empty() && (std::stoi(a) < 18 || std::stoi(a) > 90);
    bool income_out = !in.empty() && std::stod(in) >= 4e6;
    outliers += age_out || income_out;
  }
  double duplicates = rows - static_cast<double>(ids.size());
  EXPECT_NEAR(static_cast<double>(missing) / static_cast<double>(nullable_cells), 0.05, 0.01);
  EXPECT_NEAR(duplicates / rows, 0.02, 0.008);
  EXPECT_NEAR(static_cast<double>(outliers) / rows, 0.01, 0.005);
}

TEST(MessyGenerator, HonoursExtremeRates) {
  GeneratorOptions options;
  options.rows = 500;
  options.missing_rate = 1.0;
  options.duplicate_rate = 1.0;
  options.outlier_rate = 0.0;
  CsvTable t = Parse(Generate(options).csv);
  for (size_t r = 0; r < t.num_rows(); ++r) {
    EXPECT_EQ(t.cell(r, 0), t.cell(0, 0));  // every row copies the first
    EXPECT_FALSE(t.cell(r, ColumnIndex(t, "churned")).empty());
    EXPECT_TRUE(t.cell(r, ColumnIndex(t, "notes")).empty());
  }
}

TEST(MessyGenerator, DetectorFindsEveryPlantedPiiValue) {
  const CsvTable& t = LargeTable();
  const std::vector<PiiTruth>& truth = Large().truth;
  ASSERT_GT(truth.size(), 20000u * 5);
  std::set<std::string> kinds_in_notes;
  int64_t found = 0;
  for (const PiiTruth& p : truth) {
    std::string_view cell = t.cell(static_cast<size_t>(p.row), ColumnIndex(t, p.column));
    size_t at = cell.find(p.value);
    ASSERT_NE(at, std::string_view::npos) << p.column << " row " << p.row << ": " << p.value;
    bool covered = false;
    for (const PiiMatch& m : FindPii(cell)) {
      covered |= PiiKindName(m.kind) == p.kind && m.offset <= at &&
                 m.offset + m.length >= at + p.value.size();
    }
    EXPECT_TRUE(covered) << p.kind << " in " << p.column << " row " << p.row << ": [" << cell
                         << "]";
    found += covered;
    if (p.column == "notes") kinds_in_notes.insert(p.kind);
  }
  EXPECT_EQ(found, static_cast<int64_t>(truth.size()));  // recall 1.0
  EXPECT_EQ(kinds_in_notes.size(), 6u);
}

TEST(MessyGenerator, NonPiiColumnsNeverLookLikePii) {
  const CsvTable& t = LargeTable();
  for (std::string_view column :
       {"customer_id", "age", "income", "country", "segment", "signup_date", "score", "churned"}) {
    size_t c = ColumnIndex(t, column);
    int64_t flagged = 0;
    for (size_t r = 0; r < t.num_rows(); ++r) {
      if (!FindPii(t.cell(r, c)).empty()) {
        ++flagged;
        ADD_FAILURE() << column << " row " << r << " looks like PII: " << t.cell(r, c);
        if (flagged > 5) break;
      }
    }
    EXPECT_EQ(flagged, 0) << column;
  }
}

TEST(MessyGenerator, NotesHoldOnlyThePlantedPii) {
  const CsvTable& t = LargeTable();
  size_t notes = ColumnIndex(t, "notes");
  std::vector<int64_t> planted(t.num_rows(), 0);
  for (const PiiTruth& p : Large().truth)
    planted[static_cast<size_t>(p.row)] += p.column == "notes";
  for (size_t r = 0; r < t.num_rows(); ++r) {
    ASSERT_EQ(static_cast<int64_t>(FindPii(t.cell(r, notes)).size()), planted[r])
        << "row " << r << ": " << t.cell(r, notes);
  }
}

TEST(MessyGenerator, WithoutPiiHasNoPiiColumnsAndNoTruth) {
  GeneratorOptions options;
  options.rows = 1000;
  options.with_pii = false;
  Generated g = Generate(options);
  EXPECT_TRUE(g.truth.empty());
  CsvTable t = Parse(g.csv);
  EXPECT_EQ(t.columns(), MessyColumns(false));
  EXPECT_EQ(t.num_columns(), 8u);
  for (size_t r = 0; r < t.num_rows(); ++r) {
    for (size_t c = 0; c < t.num_columns(); ++c) EXPECT_TRUE(FindPii(t.cell(r, c)).empty());
  }
}

TEST(MessyGenerator, RejectsBadOptions) {
  std::ostringstream out;
  GeneratorOptions options;
  options.rows = 0;
  EXPECT_FALSE(GenerateMessyCsv(options, out).ok());
  options.rows = 10;
  options.missing_rate = 1.5;
  EXPECT_FALSE(GenerateMessyCsv(options, out).ok());
  options.missing_rate = 0.0;
  options.outlier_rate = -0.1;
  EXPECT_FALSE(GenerateMessyCsv(options, out).ok());
}

TEST(MessyGenerator, CheckDigitsMatchKnownExamples) {
  EXPECT_EQ(LuhnCheckDigit("411111111111111"), '1');  // 4111 1111 1111 1111
  EXPECT_EQ(LuhnCheckDigit("37828224631000"), '5');   // 3782 822463 10005
  EXPECT_EQ(IbanCheckDigits("DE", "370400440532013000"), "89");
  EXPECT_EQ(IbanCheckDigits("GB", "NWBK60161331926819"), "29");
  EXPECT_EQ(IbanCheckDigits("NL", "ABNA0417164300"), "91");
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_TRUE(IbanChecksumValid("DE89370400440532013000"));
  EXPECT_FALSE(IbanChecksumValid("DE88370400440532013000"));
}

TEST(MessyGenerator, EverySyntheticValueIsDetectedAsItsKind) {
  SeededRng rng(3);
  for (PiiKind kind : {PiiKind::kEmail, PiiKind::kPhone, PiiKind::kPaymentCard, PiiKind::kIban,
                       PiiKind::kNationalId, PiiKind::kIpAddress}) {
    for (int i = 0; i < 2000; ++i) {
      std::string value = synth::SyntheticPii(kind, rng);
      auto matches = FindPii(value);
      ASSERT_EQ(matches.size(), 1u) << value;
      EXPECT_EQ(matches[0], (PiiMatch{kind, 0, value.size()})) << value;
    }
  }
}

}  // namespace
}  // namespace citadel::data
