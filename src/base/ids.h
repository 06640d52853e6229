// Identifiers: UUIDv7 for runs (time-ordered, so `runs ls` sorts naturally).
#pragma once

#include <string>

namespace citadel {

// RFC 9562 UUIDv7: 48-bit Unix milliseconds, version and variant bits, and
// 74 random bits. Monotonic within a process even within one millisecond.
std::string NewUuidV7();

}  // namespace citadel
