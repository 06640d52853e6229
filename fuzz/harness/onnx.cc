// ONNX harness: the protobuf wire reader and the ModelProto walk under both
// policies; findings point inside the data, and the strict policy never
// reports less than the default one.
#include "scan/formats/onnx.h"

#include "harness/harness.h"

namespace citadel::fuzz {

void FuzzOnnx(std::string_view data) {
  (void)scan::LooksLikeOnnx(data);
  const std::vector<scan::Finding> lenient = scan::ScanOnnx(data, scan::ScanPolicy::kDefault);
  const std::vector<scan::Finding> strict = scan::ScanOnnx(data, scan::ScanPolicy::kStrict);
  FUZZ_CHECK(strict.size() >= lenient.size());
  for (const scan::Finding& f : lenient) {
    FUZZ_CHECK(!f.rule.empty());
    FUZZ_CHECK(f.offset <= data.size());
  }
}

}  // namespace citadel::fuzz
