// PII detection in string cells: e-mail addresses, phone numbers, payment
// cards, IBANs, US social security numbers and IP addresses.
//
// Hand-written scanners (no regex engine): each kind has a bounded-length
// scanner that only starts at token boundaries, so a scan is linear in the
// size of the text. Structured kinds are validated, not just shape-matched:
// cards pass the Luhn check and a known IIN prefix, IBANs the ISO 13616
// mod-97 check and the country's length, SSNs the SSA allocation rules, IPv4
// octets are 0-255. A finding is a result, never an error.
//
// All functions are pure and safe to call concurrently from multiple threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace citadel::data {

enum class PiiKind { kEmail, kPhone, kPaymentCard, kIban, kNationalId, kIpAddress };

// Stable lower-case name used in reports: "email", "phone", "payment_card",
// "iban", "national_id", "ip_address".
std::string_view PiiKindName(PiiKind kind);

// One occurrence: `length` bytes of the text starting at byte `offset`.
struct PiiMatch {
  PiiKind kind;
  size_t offset;
  size_t length;

  bool operator==(const PiiMatch&) const = default;
};

// Every PII occurrence in `text`, ordered by offset and non-overlapping. Where
// candidates of different kinds overlap, the more specific (checksummed) kind
// wins: IBAN, payment card, e-mail, national id, IP address, phone.
std::vector<PiiMatch> FindPii(std::string_view text);

// Per-column summary: `cells` is the number of cells scanned and `counts`
// maps PiiKindName() to the number of cells holding at least one occurrence
// of that kind. Kinds never seen are absent from `counts`.
struct PiiColumnReport {
  std::string column;
  int64_t cells = 0;
  std::map<std::string, int64_t> counts;
};

PiiColumnReport ScanColumn(std::string_view column, std::span<const std::string_view> cells);
// The same for an int column's values, scanned as their decimal text (an
// ID number or a phone number stored as a number) without materialising
// every cell's text.
PiiColumnReport ScanIntegers(std::string_view column, std::span<const int64_t> values);

}  // namespace citadel::data
