// HDF5 harness: the minimal root-attribute walk (superblock, object
// headers, continuation chunks, global heap) of legacy Keras .h5 files,
// then the Keras configs it finds.
#include "scan/formats/hdf5.h"

#include "harness/harness.h"
#include "scan/formats/keras_config.h"

namespace citadel::fuzz {

void FuzzHdf5(std::string_view data) {
  const uint64_t superblock = scan::FindHdf5Superblock(data);
  FUZZ_CHECK(superblock == std::string_view::npos || superblock < data.size());
  FUZZ_CHECK(scan::LooksLikeHdf5(data) == (superblock != std::string_view::npos));
  const scan::Hdf5RootAttributes root = scan::ReadHdf5RootAttributes(data);
  for (const scan::Hdf5Attribute& a : root.attributes) FUZZ_CHECK(a.offset < data.size());
  for (const scan::Hdf5Problem& p : root.problems) FUZZ_CHECK(!p.detail.empty());
  bool keras = false;
  for (const scan::Finding& f : scan::ScanHdf5Model(data, scan::ScanPolicy::kDefault, &keras)) {
    FUZZ_CHECK(!f.rule.empty());
  }
}

}  // namespace citadel::fuzz
