// GGUF harness: the reader checks every count and length against what is
// left of the file; a finding's offset must lie inside it.
#include "scan/formats/gguf.h"

#include "harness/harness.h"

namespace citadel::fuzz {

void FuzzGguf(std::string_view data) {
  (void)scan::LooksLikeGguf(data);
  for (const scan::Finding& f : scan::ScanGguf(data)) {
    FUZZ_CHECK(!f.rule.empty());
    FUZZ_CHECK(f.offset <= data.size());
  }
}

}  // namespace citadel::fuzz
