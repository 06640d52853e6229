// Synthetic PII values for the messy data generator: each one is valid by the
// rules of data/pii/pii_detector.h (Luhn-valid cards with real IIN prefixes,
// IBANs with computed mod-97 check digits, SSNs inside the SSA allocation
// rules, well-formed IP addresses, e-mail addresses and phone numbers), and
// is drawn from fictional ranges where one exists (555-01xx phone numbers,
// documentation IP blocks, example.* mail domains).
//
// Values depend only on the SeededRng state, so a seed reproduces them on
// every platform. Not thread-safe per rng; the functions themselves are pure.
#pragma once

#include <string>
#include <string_view>

#include "base/random.h"
#include "data/pii/pii_detector.h"

namespace citadel::data::synth {

std::string SyntheticEmail(SeededRng& rng);
// NANP ("(415) 555-0134", "415-555-0134", "1-415-555-0134") or E.164 with
// space-separated groups ("+1 415 555 0134", "+44 20 7946 0958").
std::string SyntheticPhone(SeededRng& rng);
// Visa, Mastercard, American Express or Discover; contiguous, or for 16
// digits sometimes in groups of four split by spaces or dashes.
std::string SyntheticCard(SeededRng& rng);
// DE (22), GB (22), FR (27) or NL (18); electronic or paper (groups of four) form.
std::string SyntheticIban(SeededRng& rng);
// ddd-dd-dddd; area never 000, 666 or 900-999, group never 00, serial never 0000.
std::string SyntheticSsn(SeededRng& rng);
// IPv4 dotted quad or IPv6 under 2001:db8::/32 (full or "::"-compressed).
std::string SyntheticIpAddress(SeededRng& rng);

// Draws a value of `kind`.
std::string SyntheticPii(PiiKind kind, SeededRng& rng);

}  // namespace citadel::data::synth
