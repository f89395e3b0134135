// Three replicas of each stateful service (two of ingest), disturbed while hundreds of
// accounts' inputs stream through every topic: replicas added and removed, SIGKILLed
// and restarted, one SIGSTOPped past its session timeout and resumed. Every answer
// must then equal a calm single-replica run of the same inputs, each outcome counted
// once and no reference request made twice. ./tools/chaos runs it longer, over
// several seeds (CHAOS_SEED, CHAOS_ACCOUNTS, CHAOS_SECONDS).
#include <cstdlib>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/chaos/chaos.h"
#include "tests/support/env.h"

namespace retention::chaos {
namespace {

int64_t EnvOr(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  int64_t parsed = 0;
  return value != nullptr && absl::SimpleAtoi(value, &parsed) ? parsed : fallback;
}

TEST(Chaos, DisturbedReplicasEndWithTheAnswersOfACalmRun) {
  const uint64_t seed = static_cast<uint64_t>(EnvOr("CHAOS_SEED", static_cast<int64_t>(std::random_device{}() % 100000)));
  const int accounts = static_cast<int>(EnvOr("CHAOS_ACCOUNTS", 300));
  std::printf("chaos seed %llu (rerun with CHAOS_SEED=%llu), %d accounts\n", static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed), accounts);
  const Scenario scenario = MakeScenario(seed, accounts, testing::UniqueName("chaos"));
  std::printf("%zu events, %zu override records, %zu request proposals, %zu accounts asked twice at once\n",
              scenario.events.size(), scenario.overrides.size(), scenario.proposals.size(), scenario.racing.size());

  RunOptions calm_options;
  const Outcome calm = chaos::Run(scenario, calm_options);
  // The calm run is the reference: it must have done something worth comparing.
  int accepted = 0, red = 0;
  for (const auto& [id, request] : calm.requests) accepted += request.history_size() > 0;
  for (const auto& [account, health] : calm.health) red += health.band() == v1::RED;
  EXPECT_GT(accepted, 0) << "requests were accepted";
  EXPECT_GT(calm.insights.insights_size(), 0) << "outcomes were counted";
  std::printf("calm run: %d requests accepted, %d accounts RED\n", accepted, red);

  RunOptions chaos_options;
  chaos_options.chaos = true;
  chaos_options.seed = seed;
  chaos_options.max_batch = 5;
  chaos_options.min_chaos = absl::Seconds(EnvOr("CHAOS_SECONDS", 40));
  const Outcome disturbed = chaos::Run(scenario, chaos_options);
  for (const char* kind : {"pauses", "kills", "adds", "removes"}) {
    EXPECT_GE(disturbed.disturbances.count(kind) > 0 ? disturbed.disturbances.at(kind) : 0, 1) << kind;
  }
  const std::vector<std::string> differences = Differences(scenario, calm, disturbed);
  std::vector<std::string> first(differences.begin(), differences.begin() + std::min<size_t>(differences.size(), 10));
  EXPECT_TRUE(differences.empty()) << differences.size() << " differences from the calm run (seed " << seed
                                   << "), the first:\n"
                                   << absl::StrJoin(first, "\n");
  for (const auto& [account, n] : calm.racing_requests) EXPECT_EQ(n, 1) << account << " in the calm run";
}

}  // namespace
}  // namespace retention::chaos
