#include "tests/integration/sim/scenario.h"

#include <gtest/gtest.h>

#include "tests/integration/sim/world.h"

namespace berth::sim::testing {

namespace json = kube::json;

void refresh_identity(Sim& sim, FixtureRequest& request) {
  auto body = json::parse(request.body);
  if (!body.ok() || !body->IsObject()) return;
  Reply current = sim.get(request.target.substr(0, request.target.find('?')));
  if (current.status != 200) return;
  json::Value& meta = json::ensure_object(*body, "metadata", body->GetAllocator());
  json::set_string(meta, "uid", current.str({"metadata", "uid"}), body->GetAllocator());
  json::set_string(meta, "resourceVersion", current.str({"metadata", "resourceVersion"}),
                   body->GetAllocator());
  request.body = json::dump(*body);
}

void run_steps(Sim& sim, const std::vector<Step>& steps) {
  for (const auto& step : steps) {
    SCOPED_TRACE(step.fixture);
    auto slash = step.fixture.find('/');
    std::string folder = step.fixture.substr(0, slash);
    std::string name = step.fixture.substr(slash + 1);
    auto request = load_request(folder, name);
    ASSERT_TRUE(request) << step.fixture;
    if (request->method == "PUT") refresh_identity(sim, *request);
    if (step.before) step.before(sim, *request);
    Reply reply = replay(sim, *request);
    ASSERT_EQ(reply.status, request->status) << step.fixture << ": " << reply.body;
    auto expected = fixture_body(folder, name);
    ASSERT_TRUE(expected) << step.fixture;
    if (step.check) {
      step.check(reply, *expected);
    } else {
      expect_same_shape(*expected, reply.doc(), kIgnored);
    }
  }
}

}  // namespace berth::sim::testing
