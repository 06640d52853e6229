// safetensors harness: the scanner's strict check and formats'
// SafetensorsFile must agree, and a file either accepts must have every
// tensor view inside the data buffer, sized dtype × shape, tiling it.
#include "formats/safetensors.h"

#include "harness/harness.h"
#include "scan/formats/tensor_files.h"

namespace citadel::fuzz {

void FuzzSafetensors(std::string_view data) {
  (void)scan::LooksLikeSafetensors(data);
  const Status checked = scan::CheckSafetensors(data);
  Result<formats::SafetensorsFile> borrowed = formats::SafetensorsFile::ParseBorrowed(data, "fuzz");
  FUZZ_CHECK(checked.ok() == borrowed.ok());
  Result<formats::SafetensorsFile> owned =
      formats::SafetensorsFile::Parse(std::string(data), "fuzz");
  FUZZ_CHECK(owned.ok() == borrowed.ok());
  if (!borrowed.ok()) return;

  const char* begin = data.data();
  const char* end = data.data() + data.size();
  uint64_t total = 0;
  for (const formats::TensorView& t : borrowed->tensors()) {
    FUZZ_CHECK(t.data.empty() ||
               (t.data.data() >= begin + 8 && t.data.data() + t.data.size() <= end));
    FUZZ_CHECK(t.NumElements() >= 0);
    FUZZ_CHECK(static_cast<uint64_t>(t.NumElements()) * formats::DTypeSize(t.dtype) ==
               t.data.size());
    total += t.data.size();
    Result<const formats::TensorView*> found = borrowed->Get(t.name);
    FUZZ_CHECK(found.ok());
  }
  FUZZ_CHECK(owned->tensors().size() == borrowed->tensors().size());
  // The tensors tile the buffer after the header exactly.
  uint64_t header = 0;
  for (int i = 0; i < 8; ++i) {
    header |= uint64_t{static_cast<unsigned char>(data[i])} << (8 * i);
  }
  FUZZ_CHECK(total == data.size() - 8 - header);
}

}  // namespace citadel::fuzz
