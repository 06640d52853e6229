// FUZZ_CHECK's failure path: a message on stderr, then abort(), which
// libFuzzer records as a crash (saving the input) and ctest as a failure.
#include <cstdio>
#include <cstdlib>

#include "harness/harness.h"

namespace citadel::fuzz {

void CheckOrDie(bool condition, const char* what, const char* file, int line) {
  if (condition) return;
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
  std::abort();
}

}  // namespace citadel::fuzz
