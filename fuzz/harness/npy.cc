// .npy harness: a header the scanner accepts puts the data inside the file,
// and an object array's pickle (what the scanner walks next) is walked too.
#include "harness/harness.h"
#include "scan/formats/tensor_files.h"
#include "scan/pickle_machine.h"

namespace citadel::fuzz {

void FuzzNpy(std::string_view data) {
  (void)scan::LooksLikeNpy(data);
  Result<scan::NpyLayout> layout = scan::ReadNpyHeader(data);
  if (!layout.ok()) return;
  FUZZ_CHECK(layout->data_offset <= data.size());
  FUZZ_CHECK(layout->object_array == (layout->descr.find('O') != std::string::npos));
  if (layout->object_array) {
    const std::string_view pickle = data.substr(layout->data_offset);
    const scan::PickleWalk walk = scan::WalkPickle(pickle);
    FUZZ_CHECK(walk.end <= pickle.size());
  }
}

}  // namespace citadel::fuzz
