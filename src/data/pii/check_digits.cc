#include "data/pii/check_digits.h"

#include <fmt/format.h>

namespace citadel::data {
namespace {

// Luhn sum of `digits`, doubling every second digit counted from the right,
// starting with the rightmost one when `double_rightmost`.
int LuhnSum(std::string_view digits, bool double_rightmost) {
  int sum = 0;
  bool twice = double_rightmost;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum;
}

// The number spelled by `a` then `b` (letters as 10..35) modulo 97, computed
// digit by digit so any length fits.
int Mod97(std::string_view a, std::string_view b) {
  int rem = 0;
  for (std::string_view part : {a, b}) {
    for (char c : part) {
      rem =
          (c >= '0' && c <= '9') ? (rem * 10 + (c - '0')) % 97 : (rem * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return rem;
}

}  // namespace

bool LuhnValid(std::string_view digits) { return LuhnSum(digits, false) % 10 == 0; }

char LuhnCheckDigit(std::string_view payload) {
  // The check digit will be the rightmost, undoubled digit: double the
  // payload's rightmost digit.
  return static_cast<char>('0' + (10 - LuhnSum(payload, true) % 10) % 10);
}

bool IbanChecksumValid(std::string_view iban) {
  return iban.size() > 4 && Mod97(iban.substr(4), iban.substr(0, 4)) == 1;
}

std::string IbanCheckDigits(std::string_view country, std::string_view bban) {
  std::string tail = std::string(country) + "00";
  return fmt::format("{:02d}", 98 - Mod97(bban, tail));
}

}  // namespace citadel::data
