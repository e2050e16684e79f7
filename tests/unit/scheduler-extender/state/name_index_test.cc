#include "scheduler-extender/state/name_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace berth::extender {
namespace {

TEST(NameIndexTest, AgreesWithAMapThroughInsertsAndErases) {
  std::mt19937 rng(7);
  std::vector<std::string> names;
  for (int i = 0; i < 3000; ++i)
    names.push_back("node-" + std::to_string(i));
  NameIndex index;
  std::map<std::string, std::uint32_t> reference;
  for (int step = 0; step < 60000; ++step) {
    const std::string& name = names[rng() % names.size()];
    if (rng() % 3 == 0) {
      index.erase(name);
      reference.erase(name);
    } else {
      std::uint32_t slot = static_cast<std::uint32_t>(rng() % 100000);
      index.insert(name, slot);
      reference[name] = slot;
    }
    if (step % 997 == 0) {
      for (const std::string& n : names) {
        auto it = reference.find(n);
        ASSERT_EQ(index.find(n), it == reference.end() ? NameIndex::kMissing : it->second) << n;
      }
    }
  }
  EXPECT_EQ(index.size(), reference.size());
  EXPECT_EQ(index.find("absent"), NameIndex::kMissing);
  EXPECT_EQ(NameIndex().find("x"), NameIndex::kMissing);
}

}  // namespace
}  // namespace berth::extender
