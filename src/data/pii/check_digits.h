// The check-digit schemes behind payment cards (Luhn) and IBANs (ISO 13616
// mod 97): one implementation for the detector that validates them and the
// generator that plants them.
#pragma once

#include <string>
#include <string_view>

namespace citadel::data {

// `digits` (decimal only) passes the Luhn check.
bool LuhnValid(std::string_view digits);
// The digit that makes `payload` + digit pass the Luhn check.
char LuhnCheckDigit(std::string_view payload);

// `iban` (upper-case letters and digits, no spaces) passes the mod-97 check:
// with the first four characters moved to the end and letters read as
// 10..35, the number is 1 modulo 97.
bool IbanChecksumValid(std::string_view iban);
// The two check digits for `country` (two upper-case letters) and `bban`.
std::string IbanCheckDigits(std::string_view country, std::string_view bban);

}  // namespace citadel::data
