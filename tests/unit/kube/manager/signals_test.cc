#include "kube/manager/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "tests/support/wait.h"

namespace kube {
namespace {

using berth::testing::wait_for;

// Runs before main(): every thread the test process starts inherits the blocked mask, so a
// process-directed signal waits for the signalfd instead of killing the process.
const bool kBlocked = [] {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0;
}();

TEST(ShutdownSignalsTest, FirstSignalCancelsTheToken) {
  ASSERT_TRUE(kBlocked);
  auto signals = ShutdownSignals::install();
  CancelToken token = signals->token();
  EXPECT_FALSE(token.cancelled());
  EXPECT_EQ(signals->received(), 0);
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(wait_for([&] { return token.cancelled(); }));
  EXPECT_EQ(signals->received(), SIGTERM);
}

TEST(ShutdownSignalsTest, SigintCountsToo) {
  auto signals = ShutdownSignals::install();
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  ASSERT_TRUE(wait_for([&] { return signals->token().cancelled(); }));
  EXPECT_EQ(signals->received(), SIGINT);
}

TEST(ShutdownSignalsTest, DestroyingStopsWaitingPromptly) {
  auto signals = ShutdownSignals::install();
  signals.reset();  // joins its thread without a signal
  SUCCEED();
}

TEST(ShutdownSignalsDeathTest, SecondSignalExitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        auto signals = ShutdownSignals::install();
        kill(getpid(), SIGTERM);
        while (!signals->token().cancelled()) {
        }
        kill(getpid(), SIGTERM);
        while (true) {
        }
      },
      ::testing::ExitedWithCode(1), "");
}

}  // namespace
}  // namespace kube
