// Citadel's own version and the git commit it was built from ("…-dirty" when
// the tree had uncommitted changes). Part of every run's recorded environment
// and, for the version, of every step's cache key.
#pragma once

namespace citadel {

const char* CitadelVersion();
const char* CitadelGitCommit();

}  // namespace citadel
