// Memory and storage sizes as people write them in specs: "512MiB", "2 GiB",
// "1.5GB", "300000" (bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace citadel {

// A non-negative number (decimals allowed) with an optional unit: B; KB, MB,
// GB, TB (powers of 1000); KiB, MiB, GiB, TiB (powers of 1024). Units are
// case-sensitive as written here; blanks around the number are allowed.
// nullopt for anything else, a negative or non-finite number, or a size
// beyond 2^63 bytes. Fractions of a byte are rounded down.
std::optional<uint64_t> ParseByteSize(std::string_view text);

// "1.5 GiB", "512 MiB", "900 B": the largest binary unit that keeps the
// number at least 1, with at most one decimal.
std::string FormatByteSize(uint64_t bytes);

}  // namespace citadel
