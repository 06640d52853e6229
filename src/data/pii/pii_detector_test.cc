#include "data/pii/pii_detector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "data/pii/column_scan.h"

namespace citadel::data {
namespace {

struct Positive {
  std::string_view text;
  PiiKind kind;
  std::string_view match;  // the exact span expected, empty = the whole text
};

// Each positive case must yield exactly one match of the given kind covering
// the expected span.
void ExpectSingleMatch(const Positive& c) {
  SCOPED_TRACE(std::string(c.text));
  std::string_view want = c.match.empty() ? c.text : c.match;
  std::vector<PiiMatch> got = FindPii(c.text);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(PiiKindName(got[0].kind), PiiKindName(c.kind));
  EXPECT_EQ(c.text.substr(got[0].offset, got[0].length), want);
  EXPECT_EQ(got[0].offset, c.text.find(want));
}

void ExpectNoMatch(std::string_view text) {
  std::vector<PiiMatch> got = FindPii(text);
  EXPECT_TRUE(got.empty()) << "\"" << text << "\" matched \""
                           << text.substr(got[0].offset, got[0].length) << "\" as "
                           << PiiKindName(got[0].kind);
}

TEST(PiiKindName, NamesEveryKind) {
  EXPECT_EQ(PiiKindName(PiiKind::kEmail), "email");
  EXPECT_EQ(PiiKindName(PiiKind::kPhone), "phone");
  EXPECT_EQ(PiiKindName(PiiKind::kPaymentCard), "payment_card");
  EXPECT_EQ(PiiKindName(PiiKind::kIban), "iban");
  EXPECT_EQ(PiiKindName(PiiKind::kNationalId), "national_id");
  EXPECT_EQ(PiiKindName(PiiKind::kIpAddress), "ip_address");
}

TEST(PiiDetector, FindsLuhnValidCardsOnly) {
  const Positive kCards[] = {
      {"4111111111111111", PiiKind::kPaymentCard, ""},
      {"4111 1111 1111 1111", PiiKind::kPaymentCard, ""},
      {"4111-1111-1111-1111", PiiKind::kPaymentCard, ""},
      {"5555555555554444", PiiKind::kPaymentCard, ""},
      {"378282246310005", PiiKind::kPaymentCard, ""},
      {"3782 822463 10005", PiiKind::kPaymentCard, ""},
      {"6011111111111117", PiiKind::kPaymentCard, ""},
      {"2223003122003222", PiiKind::kPaymentCard, ""},
      {"3530111333300000", PiiKind::kPaymentCard, ""},
      {"4222222222222", PiiKind::kPaymentCard, ""},
      {"card: 4012888888881881.", PiiKind::kPaymentCard, "4012888888881881"},
      {"paid with 4111 1111 1111 1111 2024", PiiKind::kPaymentCard, "4111 1111 1111 1111"},
  };
  for (const Positive& c : kCards) ExpectSingleMatch(c);

  for (std::string_view text : {
           "4111111111111112",        // Luhn fails
           "4111 1111 1111 1112",     // Luhn fails, grouped
           "1234567812345670",        // Luhn passes, no known issuer
           "abc4111111111111111",     // glued to a word
           "4111111111111111xyz",     // glued to a word
           "41111111111111110000",    // part of a longer digit run
           "4111 1111-1111 1111",     // mixed separators
           "4111  1111  1111  1111",  // double spaces
           "0.4111111111111111",      // decimal fraction
           "5555555555554444.5",      // decimal number
       }) {
    ExpectNoMatch(text);
  }
}

TEST(PiiDetector, FindsIbansWithValidChecksumAndLength) {
  const Positive kIbans[] = {
      {"DE89370400440532013000", PiiKind::kIban, ""},
      {"GB29NWBK60161331926819", PiiKind::kIban, ""},
      {"FR1420041010050500013M02606", PiiKind::kIban, ""},
      {"NL91ABNA0417164300", PiiKind::kIban, ""},
      {"CH9300762011623852957", PiiKind::kIban, ""},
      {"BE68539007547034", PiiKind::kIban, ""},
      {"AT611904300234573201", PiiKind::kIban, ""},
      {"ES9121000418450200051332", PiiKind::kIban, ""},
      {"IT60X0542811101000000123456", PiiKind::kIban, ""},
      {"DE89 3704 0044 0532 0130 00", PiiKind::kIban, ""},
      {"GB29 NWBK 6016 1331 9268 19", PiiKind::kIban, ""},
      {"IBAN: DE89 3704 0044 0532 0130 00 (Commerzbank)", PiiKind::kIban,
       "DE89 3704 0044 0532 0130 00"},
      {"iban=GB29NWBK60161331926819;", PiiKind::kIban, "GB29NWBK60161331926819"},
      // Unknown country code: any length 15-34 with a valid checksum.
      {"ZZ883704004405320130AB", PiiKind::kIban, ""},
  };
  for (const Positive& c : kIbans) ExpectSingleMatch(c);

  for (std::string_view text : {
           "DE88370400440532013000",       // wrong check digits
           "GB29NWBK60161331926818",       // one character changed
           "DE5137040044053201300",        // checksum fine, but DE needs 22 characters
           "XDE89370400440532013000",      // glued to a word
           "DE89370400440532013000x",      // glued to a word
           "DE89 3704 0044 0532 0130 01",  // grouped, wrong checksum
           "AB12",                         // too short
       }) {
    ExpectNoMatch(text);
  }
}

TEST(PiiDetector, FindsSsnsAllowedBySsaRules) {
  const Positive kSsns[] = {
      {"123-45-6789", PiiKind::kNationalId, ""},
      {"078-05-1120", PiiKind::kNationalId, ""},
      {"SSN:772-01-0001.", PiiKind::kNationalId, "772-01-0001"},
  };
  for (const Positive& c : kSsns) ExpectSingleMatch(c);

  for (std::string_view text : {
           "000-12-3456",    // area 000
           "666-12-3456",    // area 666
           "912-34-5678",    // area 9xx
           "123-00-4567",    // group 00
           "123-45-0000",    // serial 0000
           "123456789",      // plain number, not the hyphenated form
           "123-45-67890",   // longer digit run
           "1-123-45-6789",  // tail of a longer number
           "a123-45-6789",   // glued to a word
       }) {
    ExpectNoMatch(text);
  }
}

TEST(PiiDetector, FindsIpv4AndIpv6Addresses) {
  const Positive kIps[] = {
      {"192.168.1.1", PiiKind::kIpAddress, ""},
      {"0.0.0.0", PiiKind::kIpAddress, ""},
      {"255.255.255.255", PiiKind::kIpAddress, ""},
      {"from 10.0.0.1.", PiiKind::kIpAddress, "10.0.0.1"},
      {"host=10.0.0.1:8080", PiiKind::kIpAddress, "10.0.0.1"},
      {"2001:db8::1", PiiKind::kIpAddress, ""},
      {"2001:0db8:85a3:0000:0000:8a2e:0370:7334", PiiKind::kIpAddress, ""},
      {"2001:db8:0:0:0:0:2:1", PiiKind::kIpAddress, ""},
      {"fe80::1", PiiKind::kIpAddress, ""},
      {"::1", PiiKind::kIpAddress, ""},
      {"::ffff:192.0.2.1", PiiKind::kIpAddress, ""},
      {"[2001:db8::1]:443", PiiKind::kIpAddress, "2001:db8::1"},
      {"peer fe80::1:2, up", PiiKind::kIpAddress, "fe80::1:2"},
  };
  for (const Positive& c : kIps) ExpectSingleMatch(c);

  for (std::string_view text : {
           "256.1.1.1",          // octet out of range
           "1.2.3.4.5",          // version string
           "v1.2.3.4",           // glued to a word
           "192.168.01.1",       // leading zero
           "1.2.3",              // three octets
           "12:30:45",           // time of day
           "00:1A:2B:3C:4D:5E",  // MAC address
           "1:2:3:4:5:6:7:8:9",  // too many groups
           "1:2:3:4:5:6:7",      // too few groups without ::
           "2001:db8::1::2",     // two ::
           "12345::1",           // group longer than four hex digits
           "std::vector<int>::iterator",
           "Abc::Def",  // looks like hex, but is code
       }) {
    ExpectNoMatch(text);
  }
}

TEST(PiiDetector, FindsPhonesWithSeparatorsOrPlus) {
  const Positive kPhones[] = {
      {"+14155550132", PiiKind::kPhone, ""},
      {"+1 415 555 0132", PiiKind::kPhone, ""},
      {"+1 (415) 555-0132", PiiKind::kPhone, ""},
      {"+1.415.555.0132", PiiKind::kPhone, ""},
      {"+44 20 7946 0958", PiiKind::kPhone, ""},
      {"+49-30-1234567", PiiKind::kPhone, ""},
      {"(415) 555-0132", PiiKind::kPhone, ""},
      {"(415)555-0132", PiiKind::kPhone, ""},
      {"415-555-0132", PiiKind::kPhone, ""},
      {"415.555.0132", PiiKind::kPhone, ""},
      {"1-800-555-0199", PiiKind::kPhone, ""},
      {"call 415-555-0132.", PiiKind::kPhone, "415-555-0132"},
  };
  for (const Positive& c : kPhones) ExpectSingleMatch(c);

  for (std::string_view text : {
           "4155550132",         // plain 10-digit id
           "+1234567",           // too few digits
           "+1234567890123456",  // too many digits
           "115-555-0132",       // area code cannot start with 1
           "415-155-0132",       // exchange cannot start with 1
           "415-555.0132",       // inconsistent separators
           "555-0132",           // no area code
           "415-555-01325",      // longer digit run
           "x415-555-0132",      // glued to a word
       }) {
    ExpectNoMatch(text);
  }
}

TEST(PiiDetector, FindsEmailAddresses) {
  const Positive kEmails[] = {
      {"jane.doe@example.com", PiiKind::kEmail, ""},
      {"first_last+tag@sub.example.co.uk", PiiKind::kEmail, ""},
      {"x%y-z@a-b.io", PiiKind::kEmail, ""},
      {"mailto:x@y.com", PiiKind::kEmail, "x@y.com"},
      {"<jane@example.org>", PiiKind::kEmail, "jane@example.org"},
      {"Write to jane@example.org.", PiiKind::kEmail, "jane@example.org"},
  };
  for (const Positive& c : kEmails) ExpectSingleMatch(c);

  for (std::string_view text : {
           "jane@localhost",         // no TLD
           "@example.com",           // empty local part
           "jane@example.c",         // one-letter TLD
           "jane@example.123",       // numeric TLD
           "jane..doe@example.com",  // consecutive dots
           "jane.@example.com",      // local part ends with a dot
           "jane@-example.com",      // label starts with a dash
           "jane@example-.com",      // label ends with a dash
           "jane@example..com",      // empty label
           "a @ b.com",              // spaces
       }) {
    ExpectNoMatch(text);
  }
}

TEST(PiiDetector, IgnoresOrdinaryTextAndNumbers) {
  for (std::string_view text : {
           "",
           "The meeting is at 10:30 on 2024-01-15.",
           "Total: 1,234,567.89 EUR",
           "-1234567.5e10",
           "Order 4155550132 shipped in 3 boxes",
           "UUID 123e4567-e89b-12d3-a456-426614174000",
           "550e8400-e29b-41d4-a716-446655440000",
           "Released version 1.2.3.4.5 today",
           "Call me maybe, room 101, floor 3",
           "ISO 8601 date 2024-01-15T10:30:00Z",
           "C++20 and std::string_view",
           "price 19.99 (was 24.99)",
       }) {
    ExpectNoMatch(text);
  }
}

TEST(PiiDetector, ReportsSeveralMatchesInOrderWithOffsets) {
  std::string_view text =
      "Contact jane@example.com or +1 415 555 0132, card 4111 1111 1111 1111, "
      "IBAN DE89370400440532013000, SSN 123-45-6789, from 10.0.0.1 and 2001:db8::1.";
  std::vector<PiiMatch> got = FindPii(text);
  auto at = [&](std::string_view s, PiiKind kind) {
    return PiiMatch{kind, text.find(s), s.size()};
  };
  std::vector<PiiMatch> want = {
      at("jane@example.com", PiiKind::kEmail),
      at("+1 415 555 0132", PiiKind::kPhone),
      at("4111 1111 1111 1111", PiiKind::kPaymentCard),
      at("DE89370400440532013000", PiiKind::kIban),
      at("123-45-6789", PiiKind::kNationalId),
      at("10.0.0.1", PiiKind::kIpAddress),
      at("2001:db8::1", PiiKind::kIpAddress),
  };
  EXPECT_EQ(got, want);
}

TEST(PiiDetector, CardsAndIbansAreNotAlsoReportedAsPhones) {
  // The grouped digits inside these would otherwise look like phone fragments.
  EXPECT_EQ(FindPii("+4111 1111 1111 1111").size(), 1u);
  std::vector<PiiMatch> iban = FindPii("DE89 3704 0044 0532 0130 00");
  ASSERT_EQ(iban.size(), 1u);
  EXPECT_EQ(iban[0].kind, PiiKind::kIban);
  std::vector<PiiMatch> card = FindPii("4111-1111-1111-1111");
  ASSERT_EQ(card.size(), 1u);
  EXPECT_EQ(card[0].kind, PiiKind::kPaymentCard);
}

TEST(PiiDetector, FindsEmailAtTheEndOfOneMegabyteOfText) {
  std::string text;
  const std::string_view filler =
      "Lorem ipsum 2024-01-15 dolor 1,234.50 sit amet v1.2.3 (ok) a+b=c, x:y; ";
  while (text.size() < (1u << 20)) text.append(filler);
  text.append("contact: jane@example.com");
  auto start = std::chrono::steady_clock::now();
  std::vector<PiiMatch> got = FindPii(text);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, PiiKind::kEmail);
  EXPECT_EQ(got[0].offset, text.size() - std::string_view("jane@example.com").size());
  // Linear scan: generous bound that still catches quadratic behaviour.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 5);
}

TEST(PiiDetector, StaysLinearOnPathologicalInput) {
  // One huge token of local-part characters, hex/colon runs and digit runs.
  std::string text(1u << 20, 'a');
  text.append("@example.com");
  EXPECT_TRUE(FindPii(text).empty());
  std::string colons(1u << 20, ':');
  EXPECT_TRUE(FindPii(colons).empty());
  std::string digits(1u << 20, '7');
  EXPECT_TRUE(FindPii(digits).empty());
  std::string at_signs(1u << 20, '@');
  EXPECT_TRUE(FindPii(at_signs).empty());
}

TEST(PiiScanColumn, CountsCellsPerKind) {
  const std::vector<std::string_view> cells = {
      "jane@example.com",
      "call 415-555-0132 or bob@example.org, or bob@example.net",
      "",
      "nothing here",
      "4111111111111111",
      "10.0.0.1 and 10.0.0.2",
  };
  PiiColumnReport report = ScanColumn("notes", cells);
  EXPECT_EQ(report.column, "notes");
  EXPECT_EQ(report.cells, 6);
  std::map<std::string, int64_t> want = {
      {"email", 2}, {"phone", 1}, {"payment_card", 1}, {"ip_address", 1}};
  EXPECT_EQ(report.counts, want);
}

TEST(PiiScanColumn, CountsAreExactWhetherAValueRepeatsOrTheColumnIsMostlyDistinct) {
  // 6000 distinct ids fill the remembered values, then PII values repeat,
  // some first seen before and some after that point. Expected counts come
  // from scanning every cell on its own.
  std::vector<std::string> owned;
  for (int i = 0; i < 6000; ++i) {
    if (i % 1000 == 10) owned.push_back("ann@example.com");
    if (i % 1500 == 20) owned.push_back("10.1.2.3");
    owned.push_back("id-" + std::to_string(i));
  }
  for (int i = 0; i < 7; ++i) owned.push_back("late@example.org and 10.9.9.9");
  std::vector<std::string_view> cells(owned.begin(), owned.end());
  std::map<std::string, int64_t> want;
  for (std::string_view cell : cells) {
    std::set<std::string> kinds;
    for (const PiiMatch& m : FindPii(cell)) kinds.insert(std::string(PiiKindName(m.kind)));
    for (const std::string& kind : kinds) ++want[kind];
  }
  ASSERT_EQ(want["email"], 6 + 7);
  ASSERT_EQ(want["ip_address"], 4 + 7);
  PiiColumnReport report = ScanColumn("mixed", cells);
  EXPECT_EQ(report.cells, static_cast<int64_t>(cells.size()));
  EXPECT_EQ(report.counts, want);
}

TEST(PiiScanIntegers, NumbersAreScannedAsTheirDecimalText) {
  // Card numbers and SSNs stored as numbers, among 5000 distinct ids (past
  // the remembered values) and negative values; expected counts come from
  // scanning each value's text as a string column.
  std::vector<int64_t> values;
  for (int64_t i = 0; i < 5000; ++i) {
    values.push_back(100000 + i * 7);
    if (i % 700 == 3) values.push_back(4111111111111111);  // Luhn-valid test card
    if (i % 900 == 5) values.push_back(4111111111111112);  // fails Luhn
    if (i % 1100 == 7) values.push_back(-123456789);
  }
  for (int i = 0; i < 4; ++i) values.push_back(4012888888881881);  // late, after the memo filled
  std::vector<std::string> texts;
  for (int64_t v : values) texts.push_back(std::to_string(v));
  std::vector<std::string_view> cells(texts.begin(), texts.end());
  PiiColumnReport as_text = ScanColumn("card_no", cells);
  ASSERT_EQ(as_text.counts["payment_card"], 8 + 4);
  PiiColumnReport report = ScanIntegers("card_no", values);
  EXPECT_EQ(report.column, "card_no");
  EXPECT_EQ(report.cells, static_cast<int64_t>(values.size()));
  EXPECT_EQ(report.counts, as_text.counts);
}

TEST(PiiScanColumn, EmptyColumnHasNoCounts) {
  PiiColumnReport report = ScanColumn("empty", {});
  EXPECT_EQ(report.cells, 0);
  EXPECT_TRUE(report.counts.empty());
}

}  // namespace
}  // namespace citadel::data
