// Scanners behind FindPii(). Every scanner takes a start position that the
// driver already knows to be a plausible token start, reads a bounded number
// of bytes and returns the end of the match (or nothing). Boundary rules are
// shared so that "abc4111111111111111" or "1.2.3.4.5" never yield a match.
#include "data/pii/pii_detector.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

#include "data/pii/check_digits.h"

namespace citadel::data {
namespace {

using End = std::optional<size_t>;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlpha(char c) { return IsUpper(c) || (c >= 'a' && c <= 'z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// Punctuation that glues digits into one larger number: 1.5, 1,000, 2024-01.
bool IsNumberJoiner(char c) { return c == '.' || c == ',' || c == '-'; }

// True when a numeric match may start at `pos`: not glued to a word on the
// left, and not the tail of a longer number such as "1.2.3.4.5" or "7-123".
bool ClearBefore(std::string_view t, size_t pos) {
  if (pos == 0) return true;
  char prev = t[pos - 1];
  if (IsWordChar(prev)) return false;
  return !(IsNumberJoiner(prev) && pos >= 2 && IsDigit(t[pos - 2]));
}

// Mirror of ClearBefore for the end of a match.
bool ClearAfter(std::string_view t, size_t end) {
  if (end >= t.size()) return true;
  char next = t[end];
  if (IsWordChar(next)) return false;
  return !(IsNumberJoiner(next) && end + 1 < t.size() && IsDigit(t[end + 1]));
}

size_t DigitRunEnd(std::string_view t, size_t pos) {
  while (pos < t.size() && IsDigit(t[pos])) ++pos;
  return pos;
}

// ---------------------------------------------------------------- cards

// Issuer ranges: the first `prefix_len` digits in [lo, hi] and a total length
// in [min_len, max_len].
struct IinRange {
  int prefix_len;
  int lo;
  int hi;
  size_t min_len;
  size_t max_len;
};

constexpr std::array<IinRange, 20> kIinRanges = {{
    {1, 4, 4, 13, 19},        // Visa (13, 16 and 19 in practice)
    {2, 51, 55, 16, 16},      // Mastercard
    {4, 2221, 2720, 16, 16},  // Mastercard 2-series
    {2, 34, 34, 15, 15},      // American Express
    {2, 37, 37, 15, 15},      // American Express
    {4, 6011, 6011, 16, 19},  // Discover
    {3, 644, 649, 16, 19},    // Discover
    {2, 65, 65, 16, 19},      // Discover
    {3, 300, 305, 14, 19},    // Diners Club
    {4, 3095, 3095, 14, 19},  // Diners Club
    {2, 36, 36, 14, 19},      // Diners Club
    {2, 38, 39, 14, 19},      // Diners Club
    {4, 3528, 3589, 16, 19},  // JCB
    {2, 62, 62, 16, 19},      // UnionPay
    {4, 5018, 5018, 13, 19},  // Maestro
    {4, 5020, 5020, 13, 19},  // Maestro
    {4, 5038, 5038, 13, 19},  // Maestro
    {4, 5893, 5893, 13, 19},  // Maestro
    {4, 6304, 6304, 13, 19},  // Maestro
    {4, 6759, 6763, 13, 19},  // Maestro
}};

bool KnownIin(std::string_view digits) {
  for (const IinRange& r : kIinRanges) {
    if (digits.size() < r.min_len || digits.size() > r.max_len) continue;
    int prefix = 0;
    for (int i = 0; i < r.prefix_len; ++i) prefix = prefix * 10 + (digits[i] - '0');
    if (prefix >= r.lo && prefix <= r.hi) return true;
  }
  return false;
}

bool IsCardNumber(std::string_view digits) {
  return digits.size() >= 13 && digits.size() <= 19 && KnownIin(digits) && LuhnValid(digits);
}

// 13-19 digits, either contiguous or in groups split by one space or one dash
// (the same separator throughout). Every group but the last has 3-6 digits.
// The longest valid prefix ending at a group boundary wins, so a card followed
// by " 2024" is still found.
End ScanCard(std::string_view t, size_t pos) {
  if (!ClearBefore(t, pos)) return std::nullopt;
  // Fixed buffers: this runs at every digit run of every scanned cell (a
  // million ids in a column), where a heap allocation per call showed.
  // At most 19 digits, so at most 19 groups.
  std::array<char, 19> digits;
  size_t ndigits = 0;
  std::array<std::pair<size_t, size_t>, 19> group_ends;  // (digit count, byte end)
  size_t ngroups = 0;
  char sep = 0;
  size_t prev_len = 0;
  size_t p = pos;
  while (true) {
    size_t run_end = DigitRunEnd(t, p);
    size_t len = run_end - p;
    if (ndigits + len > 19) {
      if (ngroups == 0) return std::nullopt;  // part of a longer digit run
      break;
    }
    // The previous group is no longer the last one: it must look like a card group.
    if (ngroups > 0 && (prev_len < 3 || prev_len > 6)) break;
    std::copy_n(t.data() + p, len, digits.data() + ndigits);
    ndigits += len;
    group_ends[ngroups++] = {ndigits, run_end};
    prev_len = len;
    if (run_end + 1 >= t.size()) break;
    char c = t[run_end];
    if (c != ' ' && c != '-') break;
    if (sep != 0 && c != sep) break;
    if (!IsDigit(t[run_end + 1])) break;
    sep = c;
    p = run_end + 1;
  }
  for (size_t i = ngroups; i-- > 0;) {
    auto [count, end] = group_ends[i];
    if (count < 13) break;
    if (IsCardNumber(std::string_view(digits.data(), count)) && ClearAfter(t, end)) {
      return end;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- IBAN

struct IbanCountry {
  char code[3];
  size_t length;
};

// IBAN lengths from the SWIFT IBAN registry.
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
};

bool IbanLengthOk(std::string_view iban) {
  for (const IbanCountry& c : kIbanCountries) {
    if (iban.substr(0, 2) == c.code) return iban.size() == c.length;
  }
  return iban.size() >= 15 && iban.size() <= 34;
}

bool IsIban(std::string_view iban) {
  return iban.size() >= 15 && iban.size() <= 34 && IsUpper(iban[0]) && IsUpper(iban[1]) &&
         IsDigit(iban[2]) && IsDigit(iban[3]) && IbanLengthOk(iban) && IbanChecksumValid(iban);
}

bool IsIbanChar(char c) { return IsDigit(c) || IsUpper(c); }

size_t IbanRunEnd(std::string_view t, size_t pos) {
  while (pos < t.size() && IsIbanChar(t[pos])) ++pos;
  return pos;
}

// Electronic form "DE89370400440532013000" or paper form in groups of four,
// "DE89 3704 0044 0532 0130 00". Upper case only.
End ScanIban(std::string_view t, size_t pos) {
  if (pos > 0 && IsWordChar(t[pos - 1])) return std::nullopt;
  if (pos + 4 > t.size() || !IsUpper(t[pos]) || !IsUpper(t[pos + 1]) || !IsDigit(t[pos + 2]) ||
      !IsDigit(t[pos + 3])) {
    return std::nullopt;
  }
  size_t run_end = IbanRunEnd(t, pos);
  if (run_end < t.size() && IsWordChar(t[run_end])) return std::nullopt;
  if (run_end - pos > 4) {
    if (IsIban(t.substr(pos, run_end - pos))) return run_end;
    return std::nullopt;
  }
  std::string compact(t.substr(pos, 4));
  std::vector<std::pair<size_t, size_t>> group_ends;  // (chars, byte end)
  size_t p = run_end;
  while (p + 1 < t.size() && t[p] == ' ' && compact.size() < 34) {
    size_t end = IbanRunEnd(t, p + 1);
    size_t len = end - (p + 1);
    if (len == 0 || len > 4 || (end < t.size() && IsWordChar(t[end]))) break;
    compact.append(t.substr(p + 1, len));
    group_ends.emplace_back(compact.size(), end);
    p = end;
    if (len < 4) break;
  }
  for (size_t i = group_ends.size(); i-- > 0;) {
    auto [count, end] = group_ends[i];
    if (IsIban(std::string_view(compact).substr(0, count))) return end;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- SSN

int ParseInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// ddd-dd-dddd; the SSA never issues area 000, 666 or 900-999, group 00 or
// serial 0000.
End ScanSsn(std::string_view t, size_t pos) {
  if (pos + 11 > t.size() || !ClearBefore(t, pos)) return std::nullopt;
  std::string_view s = t.substr(pos, 11);
  for (size_t i = 0; i < 11; ++i) {
    bool dash = i == 3 || i == 6;
    if (dash ? s[i] != '-' : !IsDigit(s[i])) return std::nullopt;
  }
  int area = ParseInt(s.substr(0, 3));
  if (area == 0 || area == 666 || area >= 900) return std::nullopt;
  if (ParseInt(s.substr(4, 2)) == 0 || ParseInt(s.substr(7, 4)) == 0) return std::nullopt;
  if (!ClearAfter(t, pos + 11)) return std::nullopt;
  return pos + 11;
}

// ---------------------------------------------------------------- IP

// Dotted quad at `pos`, octets 0-255 without leading zeros. Returns the end of
// the fourth octet; boundaries are the caller's business.
End ParseIpv4(std::string_view t, size_t pos) {
  size_t p = pos;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p >= t.size() || t[p] != '.') return std::nullopt;
      ++p;
    }
    size_t end = DigitRunEnd(t, p);
    size_t len = end - p;
    if (len == 0 || len > 3 || (len > 1 && t[p] == '0')) return std::nullopt;
    if (ParseInt(t.substr(p, len)) > 255) return std::nullopt;
    p = end;
  }
  return p;
}

End ScanIpv4(std::string_view t, size_t pos) {
  if (!ClearBefore(t, pos)) return std::nullopt;
  End end = ParseIpv4(t, pos);
  if (!end || !ClearAfter(t, *end)) return std::nullopt;
  return end;
}

// Validates a whole candidate such as "2001:db8::1" or "::ffff:192.0.2.1".
bool IsIpv6(std::string_view s) {
  if (s.size() < 3 || s.size() > 45) return false;
  size_t dc = s.find("::");
  if (dc != std::string_view::npos && s.find("::", dc + 1) != std::string_view::npos) return false;
  // An embedded IPv4 address may only be the last part and counts as two groups.
  int groups = 0;
  size_t last_colon = s.rfind(':');
  std::string_view hex_part = s;
  if (s.find('.') != std::string_view::npos) {
    std::string_view v4 = s.substr(last_colon + 1);
    End end = ParseIpv4(v4, 0);
    if (!end || *end != v4.size()) return false;
    groups += 2;
    hex_part = s.substr(0, last_colon + 1);
    // "::1.2.3.4" keeps its "::"; "a:b:...:1.2.3.4" drops the trailing ':'.
    if (!(hex_part.size() >= 2 && hex_part.substr(hex_part.size() - 2) == "::")) {
      hex_part.remove_suffix(1);
    }
  }
  auto count_groups = [](std::string_view part, int& n) {
    if (part.empty()) return true;
    size_t start = 0;
    while (true) {
      size_t colon = part.find(':', start);
      size_t len = (colon == std::string_view::npos ? part.size() : colon) - start;
      if (len == 0 || len > 4) return false;
      for (size_t i = start; i < start + len; ++i) {
        if (!IsHex(part[i])) return false;
      }
      ++n;
      if (colon == std::string_view::npos) return true;
      start = colon + 1;
    }
  };
  if (dc == std::string_view::npos) {
    if (!count_groups(hex_part, groups)) return false;
    return groups == 8;
  }
  size_t hdc = hex_part.find("::");
  if (hdc == std::string_view::npos) return false;
  if (!count_groups(hex_part.substr(0, hdc), groups) ||
      !count_groups(hex_part.substr(hdc + 2), groups)) {
    return false;
  }
  return groups <= 7;
}

bool IsIpv6RunChar(char c) { return IsHex(c) || c == ':' || c == '.'; }

// Takes the maximal run of hex digits, colons and dots starting at `pos`.
// Requires at least one decimal digit so that "Abc::Def" in code is not an
// address. Returns the end of the run; `*match` tells whether it is an address.
size_t ScanIpv6Run(std::string_view t, size_t pos, End* match) {
  size_t end = pos;
  int colons = 0;
  bool has_digit = false;
  while (end < t.size() && IsIpv6RunChar(t[end])) {
    colons += t[end] == ':';
    has_digit |= IsDigit(t[end]);
    ++end;
  }
  *match = std::nullopt;
  if (colons < 2 || !has_digit || (end < t.size() && IsWordChar(t[end]))) return end;
  std::string_view run = t.substr(pos, end - pos);
  // Sentence punctuation: "reach fe80::1." or "host 2001:db8::1: down".
  if (IsIpv6(run)) {
    *match = end;
  } else if (run.size() > 1 && (run.back() == '.' || run.back() == ':') &&
             IsIpv6(run.substr(0, run.size() - 1))) {
    *match = end - 1;
  }
  return end;
}

// ---------------------------------------------------------------- e-mail

bool IsLocalChar(char c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool IsDomainChar(char c) { return IsAlnum(c) || c == '-' || c == '.'; }

// `at` indexes an '@'. Returns the [start, end) of the address around it.
std::optional<std::pair<size_t, size_t>> ScanEmail(std::string_view t, size_t at) {
  size_t start = at;
  while (start > 0 && at - start < 65 && IsLocalChar(t[start - 1])) --start;
  if (start > 0 && IsLocalChar(t[start - 1])) return std::nullopt;  // local part too long
  while (start < at && t[start] == '.') ++start;                    // ".x@y" after a sentence
  std::string_view local = t.substr(start, at - start);
  if (local.empty() || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  size_t end = at + 1;
  while (end < t.size() && end - at <= 254 && IsDomainChar(t[end])) ++end;
  if (end < t.size() && IsDomainChar(t[end])) return std::nullopt;  // domain too long
  while (end > at + 1 && t[end - 1] == '.') --end;                  // trailing full stop
  if (end < t.size() && (t[end] == '_' || t[end] == '@')) return std::nullopt;
  std::string_view domain = t.substr(at + 1, end - at - 1);
  size_t labels = 0;
  size_t label_start = 0;
  while (label_start <= domain.size()) {
    size_t dot = domain.find('.', label_start);
    if (dot == std::string_view::npos) dot = domain.size();
    std::string_view label = domain.substr(label_start, dot - label_start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return std::nullopt;
    }
    ++labels;
    if (dot == domain.size()) {
      if (labels < 2 || label.size() < 2 || !std::all_of(label.begin(), label.end(), IsAlpha)) {
        return std::nullopt;
      }
      break;
    }
    label_start = dot + 1;
  }
  return std::make_pair(start, end);
}

// ---------------------------------------------------------------- phone

bool IsPhoneSep(char c) { return c == ' ' || c == '-' || c == '.'; }

// E.164-style: '+', then 8-15 digits in groups split by one of " -." with
// at most one parenthesised group, e.g. "+1 (415) 555-0132", "+44 20 7946 0958".
End ScanE164(std::string_view t, size_t pos) {
  if (pos > 0 && (IsWordChar(t[pos - 1]) || t[pos - 1] == '+')) return std::nullopt;
  size_t p = pos + 1;
  if (p >= t.size() || !IsDigit(t[p]) || t[p] == '0') return std::nullopt;
  size_t digits = 0;
  bool paren_used = false;
  size_t end = p;
  while (true) {
    // One token: a digit run or "(digits)".
    if (t[p] == '(') {
      size_t run_end = DigitRunEnd(t, p + 1);
      size_t len = run_end - (p + 1);
      if (paren_used || len == 0 || len > 4 || run_end >= t.size() || t[run_end] != ')') break;
      paren_used = true;
      digits += len;
      end = run_end + 1;
    } else {
      size_t run_end = DigitRunEnd(t, p);
      digits += run_end - p;
      end = run_end;
    }
    if (digits > 15) return std::nullopt;
    size_t q = end;
    if (q < t.size() && IsPhoneSep(t[q])) ++q;
    if (q < t.size() && (IsDigit(t[q]) || t[q] == '(')) {
      p = q;
    } else {
      break;
    }
  }
  if (digits < 8 || !ClearAfter(t, end)) return std::nullopt;
  return end;
}

bool IsNxx(std::string_view t, size_t pos) {
  return pos + 3 <= t.size() && t[pos] >= '2' && t[pos] <= '9' && IsDigit(t[pos + 1]) &&
         IsDigit(t[pos + 2]) && (pos + 3 == t.size() || !IsDigit(t[pos + 3]));
}

// North American numbers with separators: "(415) 555-0132", "415-555-0132",
// "415.555.0132", optionally after a "1-" / "1 " trunk prefix. A bare digit run
// is never a phone.
End ScanNanp(std::string_view t, size_t pos) {
  if (t[pos] == '(' ? (pos > 0 && IsWordChar(t[pos - 1])) : !ClearBefore(t, pos)) {
    return std::nullopt;
  }
  size_t p = pos;
  if (t[p] == '1' && p + 2 < t.size() && IsPhoneSep(t[p + 1]) &&
      (t[p + 2] == '(' || IsDigit(t[p + 2]))) {
    p += 2;
  }
  char sep = 0;
  if (t[p] == '(') {
    if (!IsNxx(t, p + 1) || p + 4 >= t.size() || t[p + 4] != ')') return std::nullopt;
    p += 5;
    if (p < t.size() && (t[p] == ' ' || t[p] == '-')) ++p;
  } else {
    if (!IsNxx(t, p) || p + 3 >= t.size() || !IsPhoneSep(t[p + 3])) return std::nullopt;
    sep = t[p + 3];
    p += 4;
  }
  if (!IsNxx(t, p) || p + 3 >= t.size() || !IsPhoneSep(t[p + 3])) return std::nullopt;
  if (sep != 0 && t[p + 3] != sep) return std::nullopt;
  p += 4;
  if (DigitRunEnd(t, p) != p + 4) return std::nullopt;
  p += 4;
  if (!ClearAfter(t, p)) return std::nullopt;
  return p;
}

// ---------------------------------------------------------------- driver

// Kinds in the order they claim text when candidates overlap.
constexpr std::array<PiiKind, 6> kPriority = {PiiKind::kIban,      PiiKind::kPaymentCard,
                                              PiiKind::kEmail,     PiiKind::kNationalId,
                                              PiiKind::kIpAddress, PiiKind::kPhone};

int PriorityOf(PiiKind kind) {
  return static_cast<int>(std::find(kPriority.begin(), kPriority.end(), kind) - kPriority.begin());
}

void Collect(std::string_view t, std::vector<PiiMatch>& out) {
  auto add = [&](PiiKind kind, size_t start, End end) {
    if (end) out.push_back(PiiMatch{kind, start, *end - start});
  };
  size_t ipv6_resume = 0;  // IPv6 runs never overlap each other
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    char prev = i > 0 ? t[i - 1] : ' ';
    if (c == '@') {
      if (auto span = ScanEmail(t, i))
        out.push_back({PiiKind::kEmail, span->first, span->second - span->first});
    } else if (c == '+') {
      add(PiiKind::kPhone, i, ScanE164(t, i));
    } else if (c == '(') {
      add(PiiKind::kPhone, i, ScanNanp(t, i));
    }
    if (IsDigit(c) && !IsDigit(prev)) {
      add(PiiKind::kPaymentCard, i, ScanCard(t, i));
      add(PiiKind::kNationalId, i, ScanSsn(t, i));
      add(PiiKind::kIpAddress, i, ScanIpv4(t, i));
      add(PiiKind::kPhone, i, ScanNanp(t, i));
    }
    if (IsUpper(c) && !IsWordChar(prev)) add(PiiKind::kIban, i, ScanIban(t, i));
    if (i >= ipv6_resume && (IsHex(c) || c == ':') && !IsWordChar(prev) && prev != ':' &&
        prev != '.') {
      End end;
      ipv6_resume = ScanIpv6Run(t, i, &end);
      add(PiiKind::kIpAddress, i, end);
    }
  }
}

}  // namespace

std::string_view PiiKindName(PiiKind kind) {
  switch (kind) {
    case PiiKind::kEmail:
      return "email";
    case PiiKind::kPhone:
      return "phone";
    case PiiKind::kPaymentCard:
      return "payment_card";
    case PiiKind::kIban:
      return "iban";
    case PiiKind::kNationalId:
      return "national_id";
    case PiiKind::kIpAddress:
      return "ip_address";
  }
  return "unknown";
}

std::vector<PiiMatch> FindPii(std::string_view text) {
  std::vector<PiiMatch> candidates;
  Collect(text, candidates);
  // Higher-priority kinds claim first; within a kind, leftmost then longest.
  std::sort(candidates.begin(), candidates.end(), [](const PiiMatch& a, const PiiMatch& b) {
    int pa = PriorityOf(a.kind);
    int pb = PriorityOf(b.kind);
    if (pa != pb) return pa < pb;
    if (a.offset != b.offset) return a.offset < b.offset;
    return a.length > b.length;
  });
  std::map<size_t, size_t> claimed;  // offset -> end of accepted matches
  std::vector<PiiMatch> result;
  for (const PiiMatch& m : candidates) {
    size_t end = m.offset + m.length;
    auto next = claimed.lower_bound(m.offset);
    if (next != claimed.end() && next->first < end) continue;
    if (next != claimed.begin() && std::prev(next)->second > m.offset) continue;
    claimed.emplace(m.offset, end);
    result.push_back(m);
  }
  std::sort(result.begin(), result.end(),
            [](const PiiMatch& a, const PiiMatch& b) { return a.offset < b.offset; });
  return result;
}

}  // namespace citadel::data
