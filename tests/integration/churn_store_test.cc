// churn-risk's Redis store against a real Redis: states and risks round-trip, listings
// come ordered, and defection insights add up per segment and month.
#include "services/churn-risk/store.h"

#include "gtest/gtest.h"
#include "libs/config/flags.h"
#include "tests/support/env.h"

namespace retention::testing {
namespace {

redis::RedisOptions Options() {
  auto hp = config::ParseHostPort(RedisAddr(), "REDIS_ADDR");
  redis::RedisOptions o;
  o.host = hp->host;
  o.port = hp->port;
  return o;
}

v1::ChurnRisk Risk(const std::string& account, double revenue, double priority) {
  v1::ChurnRisk r;
  r.set_account_id(account);
  r.set_revenue_at_risk(revenue);
  r.set_retention_priority(priority);
  return r;
}

TEST(RedisChurnStore, StatesRoundTripAndListingsAreOrdered) {
  redis::RedisClient redis(Options());
  churn::RedisChurnStore store(&redis);
  const std::string a = UniqueName("a"), b = UniqueName("b");
  churnrisk::ChurnAccountState sa, sb;
  sa.mutable_activity()->set_account_id(a);
  sa.set_health_score(33);
  sb.mutable_activity()->set_account_id(b);
  // Far above anything else on the shared Redis, so that they head the listings.
  ASSERT_TRUE(store.Save({sa, sb}, {Risk(a, 9e12, 1e12), Risk(b, 8e12, 2e12)}, {}).ok());
  auto loaded = store.Load({a, UniqueName("never")});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)[a].health_score(), 33);
  auto by_revenue = store.List(false, 0, 2);
  ASSERT_TRUE(by_revenue.ok());
  ASSERT_EQ(by_revenue->size(), 2u);
  EXPECT_EQ((*by_revenue)[0].account_id(), a);
  auto by_priority = store.List(true, 0, 2);
  ASSERT_TRUE(by_priority.ok());
  EXPECT_EQ((*by_priority)[0].account_id(), b);
}

TEST(RedisChurnStore, InsightsAddUpPerSegmentAndMonth) {
  redis::RedisClient redis(Options());
  churn::RedisChurnStore store(&redis);
  const std::string segment = UniqueName("seg");
  std::vector<churn::Outcome> outcomes = {
      {segment, "2026-10", v1::WinLossOutcome::CHURNED, {"price", "missing-feature"}, "Contoso"},
      {segment, "2026-10", v1::WinLossOutcome::CHURNED, {"price"}, ""},
      {segment, "2026-10", v1::WinLossOutcome::RENEWED, {}, ""},
      {segment, "2026-11", v1::WinLossOutcome::LOST, {"timing"}, "Contoso"},
  };
  ASSERT_TRUE(store.Save({}, {}, outcomes).ok());
  auto insights = store.Insights({segment}, {"2026-10"});
  ASSERT_TRUE(insights.ok()) << insights.status();
  ASSERT_EQ(insights->size(), 1u);
  const v1::DefectionInsight& october = (*insights)[0];
  EXPECT_EQ(october.outcomes(), 3);
  EXPECT_EQ(october.churned(), 2);
  ASSERT_GE(october.reasons_size(), 2);
  EXPECT_EQ(october.reasons(0).reason(), "price");
  EXPECT_EQ(october.reasons(0).count(), 2);
  ASSERT_EQ(october.competitors_size(), 1);
  EXPECT_EQ(october.competitors(0).reason(), "Contoso");
  auto both = store.Insights({segment}, {});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->size(), 2u);
}

}  // namespace
}  // namespace retention::testing
