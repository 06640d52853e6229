// Generators behind synthetic_pii.h. Check digits are computed, never copied
// from a table, so every draw is a fresh valid value.
#include "data/generate/synthetic_pii.h"

#include <fmt/format.h>

#include <array>

#include "data/pii/check_digits.h"

namespace citadel::data::synth {
namespace {

template <typename T, size_t N>
const T& Pick(SeededRng& rng, const std::array<T, N>& items) {
  return items[static_cast<size_t>(rng.Below(N))];
}

int Between(SeededRng& rng, int lo, int hi) {  // inclusive
  return lo + static_cast<int>(rng.Below(static_cast<uint64_t>(hi - lo + 1)));
}

std::string Digits(SeededRng& rng, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng.Below(10)));
  return s;
}

// Splits `s` into groups of four joined by `sep` (the last group may be shorter).
std::string Grouped(std::string_view s, char sep) {
  std::string out;
  for (size_t i = 0; i < s.size(); i += 4) {
    if (i > 0) out.push_back(sep);
    out.append(s.substr(i, 4));
  }
  return out;
}

constexpr std::array<std::string_view, 12> kFirstNames = {"maria", "james", "li",    "fatima",
                                                          "olga",  "kwame", "sofia", "noah",
                                                          "yuki",  "pedro", "emma",  "ravi"};
constexpr std::array<std::string_view, 12> kLastNames = {"garcia",  "smith",  "wang",   "khan",
                                                         "ivanova", "mensah", "rossi",  "miller",
                                                         "tanaka",  "silva",  "dubois", "patel"};
constexpr std::array<std::string_view, 5> kMailDomains = {
    "example.com", "example.org", "example.net", "mail.example.com", "corp.example.org"};

}  // namespace

std::string SyntheticEmail(SeededRng& rng) {
  std::string_view first = Pick(rng, kFirstNames);
  std::string_view last = Pick(rng, kLastNames);
  std::string_view domain = Pick(rng, kMailDomains);
  switch (rng.Below(3)) {
    case 0:
      return fmt::format("{}.{}@{}", first, last, domain);
    case 1:
      return fmt::format("{}{}{}@{}", first.substr(0, 1), last, Between(rng, 1, 99), domain);
    default:
      return fmt::format("{}_{}@{}", first, last, domain);
  }
}

std::string SyntheticPhone(SeededRng& rng) {
  // Area codes start with 2-9 (NANP rule); 555-0100..0199 is reserved for fiction.
  int area = Between(rng, 200, 989);
  std::string line = fmt::format("01{:02d}", Between(rng, 0, 99));
  switch (rng.Below(6)) {
    case 0:
      return fmt::format("({}) 555-{}", area, line);
    case 1:
      return fmt::format("{}-555-{}", area, line);
    case 2:
      return fmt::format("1-{}-555-{}", area, line);
    case 3:
      return fmt::format("+1 {} 555 {}", area, line);
    case 4:
      return fmt::format("+44 20 7946 0{:03d}", Between(rng, 0, 999));
    default:
      return fmt::format("+49 30 {}", Between(rng, 10000000, 99999999));
  }
}

std::string SyntheticCard(SeededRng& rng) {
  std::string payload;
  switch (rng.Below(4)) {
    case 0:  // Visa, 16 digits
      payload = "4" + Digits(rng, 14);
      break;
    case 1:  // Mastercard 51-55, 16 digits
      payload = fmt::format("5{}", Between(rng, 1, 5)) + Digits(rng, 13);
      break;
    case 2:  // American Express 34/37, 15 digits
      payload = (rng.Below(2) == 0 ? "34" : "37") + Digits(rng, 12);
      break;
    default:  // Discover 6011, 16 digits
      payload = "6011" + Digits(rng, 11);
      break;
  }
  std::string card = payload + LuhnCheckDigit(payload);
  if (card.size() == 16) {
    switch (rng.Below(3)) {
      case 0:
        return Grouped(card, ' ');
      case 1:
        return Grouped(card, '-');
      default:
        break;
    }
  }
  return card;
}

std::string SyntheticIban(SeededRng& rng) {
  static constexpr std::array<std::string_view, 4> kGbBanks = {"NWBK", "BARC", "MIDL", "LOYD"};
  static constexpr std::array<std::string_view, 4> kNlBanks = {"ABNA", "RABO", "INGB", "TRIO"};
  std::string country;
  std::string bban;
  switch (rng.Below(4)) {
    case 0:  // 8-digit bank code, 10-digit account
      country = "DE";
      bban = Digits(rng, 18);
      break;
    case 1:  // bank, 6-digit sort code, 8-digit account
      country = "GB";
      bban = std::string(Pick(rng, kGbBanks)) + Digits(rng, 14);
      break;
    case 2:  // bank, branch, 11-character account, 2-digit key
      country = "FR";
      bban = Digits(rng, 23);
      break;
    default:  // bank, 10-digit account
      country = "NL";
      bban = std::string(Pick(rng, kNlBanks)) + Digits(rng, 10);
      break;
  }
  std::string iban = country + IbanCheckDigits(country, bban) + bban;
  return rng.Below(2) == 0 ? iban : Grouped(iban, ' ');
}

std::string SyntheticSsn(SeededRng& rng) {
  int area = Between(rng, 1, 898);
  if (area >= 666) ++area;  // skips 666, stays below 900
  return fmt::format("{:03d}-{:02d}-{:04d}", area, Between(rng, 1, 99), Between(rng, 1, 9999));
}

std::string SyntheticIpAddress(SeededRng& rng) {
  switch (rng.Below(3)) {
    case 0:
      return fmt::format("{}.{}.{}.{}", Between(rng, 1, 223), Between(rng, 0, 255),
                         Between(rng, 0, 255), Between(rng, 1, 254));
    case 1: {
      std::string ip = "2001:db8";
      for (int i = 0; i < 6; ++i) ip += fmt::format(":{:x}", Between(rng, 0, 0xffff));
      return ip;
    }
    default:
      return fmt::format("2001:db8::{:x}:{:x}", Between(rng, 1, 0xffff), Between(rng, 1, 0xffff));
  }
}

std::string SyntheticPii(PiiKind kind, SeededRng& rng) {
  switch (kind) {
    case PiiKind::kEmail:
      return SyntheticEmail(rng);
    case PiiKind::kPhone:
      return SyntheticPhone(rng);
    case PiiKind::kPaymentCard:
      return SyntheticCard(rng);
    case PiiKind::kIban:
      return SyntheticIban(rng);
    case PiiKind::kNationalId:
      return SyntheticSsn(rng);
    case PiiKind::kIpAddress:
      return SyntheticIpAddress(rng);
  }
  return {};
}

}  // namespace citadel::data::synth
