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

}  // namespace citadel::data
