#include "base/system/interrupt.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace citadel {
namespace {

TEST(InterruptScope, TheFirstSignalBecomesAStopRequest) {
  InterruptScope scope;
  EXPECT_EQ(InterruptScope::signal().load(), 0);
  ::raise(SIGTERM);  // would kill the test without the scope
  EXPECT_EQ(InterruptScope::signal().load(), SIGTERM);
}

// In a child process: what happens to a second signal, and after the scope.
int ChildExitAfter(void (*body)()) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

TEST(InterruptScope, ASecondSignalGetsTheDefaultAction) {
  EXPECT_EQ(ChildExitAfter([] {
              InterruptScope scope;
              ::raise(SIGINT);
              if (InterruptScope::signal().load() != SIGINT) ::_exit(3);
              ::raise(SIGINT);  // the user insists
              ::_exit(4);
            }),
            128 + SIGINT);
}

TEST(InterruptScope, OutsideTheScopeSignalsKeepTheirDefaultAction) {
  EXPECT_EQ(ChildExitAfter([] {
              { InterruptScope scope; }
              ::raise(SIGTERM);
              ::_exit(4);
            }),
            128 + SIGTERM);
}

}  // namespace
}  // namespace citadel
