// PickleMachine harness: every offset a walk reports lies inside the data,
// and a walk that claims to be complete ended on a STOP opcode.
#include "harness/harness.h"
#include "scan/pickle_machine.h"

namespace citadel::fuzz {
namespace {

void CheckWalk(std::string_view data, uint64_t begin, const scan::PickleWalk& walk) {
  FUZZ_CHECK(walk.end >= begin && walk.end <= data.size());
  FUZZ_CHECK(walk.protocol >= 0 && walk.protocol <= 5);
  if (walk.complete) {
    FUZZ_CHECK(!walk.error);
    FUZZ_CHECK(walk.end > begin && data[walk.end - 1] == '.');
  } else {
    FUZZ_CHECK(walk.error.has_value());
  }
  if (walk.error) FUZZ_CHECK(walk.error_offset <= data.size());
  for (const scan::PickleGlobal& g : walk.globals) FUZZ_CHECK(g.offset < data.size());
  for (const scan::PickleCall& c : walk.calls) FUZZ_CHECK(c.offset < data.size());
  for (const scan::NestedPickle& n : walk.nested) {
    FUZZ_CHECK(n.offset < data.size());
    FUZZ_CHECK(scan::LooksLikeBinaryPickle(n.bytes));
  }
}

}  // namespace

void FuzzPickle(std::string_view data) {
  scan::PickleWalk walk = scan::WalkPickle(data, 0);
  CheckWalk(data, 0, walk);
  // Legacy torch.save files are pickles in a row: walk on from each STOP,
  // as the scanner does, so a walk starting mid-data is exercised too.
  for (int i = 0; i < 8 && walk.complete && walk.end < data.size(); ++i) {
    const uint64_t begin = walk.end;
    walk = scan::WalkPickle(data, begin);
    CheckWalk(data, begin, walk);
  }
  for (const scan::NestedPickle& n : scan::WalkPickle(data, 0).nested) {
    CheckWalk(n.bytes, 0, scan::WalkPickle(n.bytes, 0));
  }
}

}  // namespace citadel::fuzz
