// Replays fixture requests in order against one berth-sim and compares each response.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tests/integration/sim/sim_harness.h"

namespace berth::sim::testing {

struct Step {
  std::string fixture;  // "<folder>/<name>" of the request to replay and compare
  // Runs before the request (state the capture had that the scenario did not create).
  std::function<void(Sim&, FixtureRequest&)> before = nullptr;
  // Compared with the response instead of the fixture body when set.
  std::function<void(const Reply&, const kube::json::Value& expected)> check = nullptr;
};

// Replays each step; PUT bodies get the live object's uid and resourceVersion first.
void run_steps(Sim& sim, const std::vector<Step>& steps);

// Points a PUT body at the object currently stored at its URL.
void refresh_identity(Sim& sim, FixtureRequest& request);

}  // namespace berth::sim::testing
