// ZIP reader harness: the directory of any input is read or refused, and
// every entry it lists is read back (stored or inflated, CRC checked) under
// a small inflation cap, so a deflate bomb costs the fuzzer little.
#include "harness/harness.h"
#include "scan/formats/zip_archive.h"

namespace citadel::fuzz {

void FuzzZip(std::string_view data) {
  constexpr uint64_t kMaxEntryBytes = uint64_t{4} << 20;
  (void)scan::LooksLikeZip(data);
  std::string problem;
  Result<std::vector<scan::ZipEntry>> entries = scan::ReadZipDirectory(data, &problem);
  if (!entries.ok()) {
    FUZZ_CHECK(!entries.status().message().empty());
    return;
  }
  for (const scan::ZipEntry& e : *entries) {
    Result<scan::ZipEntryData> content = scan::ReadZipEntry(data, e, kMaxEntryBytes);
    if (!content.ok()) continue;
    const std::string_view bytes = content->bytes();
    FUZZ_CHECK(bytes.size() <= kMaxEntryBytes);
    if (e.method == 0) FUZZ_CHECK(bytes.size() == e.compressed_size);
    (void)scan::ZipCrcMatches(e, bytes);
  }
}

}  // namespace citadel::fuzz
