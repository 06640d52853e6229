// ScanBytes harness: the whole content-detecting scanner, so every format
// reader it reaches (ZIP, pickles, .npy, safetensors, zlib / gzip, and the
// formats added later) is fuzzed through the path `citadel scan` takes.
#include "harness/harness.h"
#include "scan/model_scanner.h"

namespace citadel::fuzz {

void FuzzScan(std::string_view data) {
  scan::ScanOptions options;
  // The defaults (4 GiB an entry, 16 GiB a file) are for real models; a
  // deflate bomb in the fuzzer must not spend its time and memory limits
  // proving that the caps work (model_scanner_test does that).
  options.max_entry_bytes = uint64_t{4} << 20;
  options.max_total_bytes = uint64_t{64} << 20;
  // Both policies, picked by the input so each is covered.
  options.policy = data.size() % 2 == 0 ? scan::ScanPolicy::kDefault : scan::ScanPolicy::kStrict;
  const scan::FileReport report = scan::ScanBytes(data, "fuzz", options);
  FUZZ_CHECK(!report.format.empty());
  if (report.format == "unknown") FUZZ_CHECK(report.findings.empty());
  for (const scan::Finding& f : report.findings) {
    FUZZ_CHECK(f.path == "fuzz");
    FUZZ_CHECK(!f.rule.empty());
  }
}

}  // namespace citadel::fuzz
