#include "kube/clock/clock.h"

namespace kube {

Clock& Clock::real() {
  // Never destroyed: objects with static storage may still read the clock during exit.
  static auto* const clock = new RealClock();
  return *clock;
}

}  // namespace kube
