// Keras config harness: JSON model and tokenizer configs (what .keras
// archives and Hugging Face repos carry) and the chat-template injection
// finder they share with GGUF.
#include "harness/harness.h"
#include "scan/formats/chat_template.h"
#include "scan/formats/keras_config.h"

namespace citadel::fuzz {

void FuzzKeras(std::string_view data) {
  const std::string_view kind = scan::JsonConfigKind(data);
  FUZZ_CHECK(kind.empty() || kind == "keras" || kind == "tokenizer");
  for (const scan::Finding& f : scan::ScanJsonConfig(data, scan::ScanPolicy::kStrict)) {
    FUZZ_CHECK(!f.rule.empty());
  }
  for (const scan::Finding& f : scan::ScanKerasConfig(data, scan::ScanPolicy::kDefault)) {
    FUZZ_CHECK(!f.rule.empty());
  }
  const std::vector<scan::TemplateMarker> markers = scan::FindTemplateInjection(data);
  FUZZ_CHECK(markers.size() <= 16);
  for (const scan::TemplateMarker& m : markers) FUZZ_CHECK(m.offset < data.size());
}

}  // namespace citadel::fuzz
