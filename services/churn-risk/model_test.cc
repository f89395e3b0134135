#include "services/churn-risk/model.h"

#include <cmath>
#include <cstdlib>

#include "gtest/gtest.h"

namespace retention::churn {
namespace {

// intercept -1; health (coef -1, mean 50, scale 25); escalations (coef 0.5, mean 0, scale 1).
v1::ChurnModel Small() {
  auto model = ParseModel(R"(version: "t" intercept: -1
    features { feature: CHURN_FEATURE_HEALTH_SCORE coefficient: -1 mean: 50 scale: 25 }
    features { feature: CHURN_FEATURE_ESCALATIONS_90D coefficient: 0.5 mean: 0 scale: 1 }
    features { feature: CHURN_FEATURE_CHAMPION_LEFT_90D coefficient: 2 mean: 0 scale: 1 }
    tiers { tier: LOW probability: 0 } tiers { tier: MEDIUM probability: 0.2 }
    tiers { tier: HIGH probability: 0.5 } tiers { tier: CRITICAL probability: 0.8 }
    publish_min_change: 0.05 top_drivers: 2 strategic_weight: 1)",
                          "small");
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

TEST(Predict, IsTheLogisticOfTheScaledWeightedSum) {
  // log-odds = -1 + (-1)(25-50)/25 + 0.5(2-0)/1 = -1 + 1 + 1 = 1; p = 1/(1+e^-1) = 0.7311
  const Prediction p = Predict(Small(), {{v1::CHURN_FEATURE_HEALTH_SCORE, 25}, {v1::CHURN_FEATURE_ESCALATIONS_90D, 2}});
  EXPECT_NEAR(p.log_odds, 1.0, 1e-12);
  EXPECT_NEAR(p.probability, 1.0 / (1.0 + std::exp(-1.0)), 1e-12);
  EXPECT_EQ(p.tier, v1::HIGH);
}

TEST(Predict, AMissingFeatureCountsAsItsMean) {
  const Prediction p = Predict(Small(), {});
  EXPECT_NEAR(p.log_odds, -1.0, 1e-12);
  for (const auto& c : p.contributions) EXPECT_EQ(c.contribution(), 0);
}

TEST(TopDrivers, AreThePositiveContributionsLargestFirstUpToTheLimit) {
  // Contributions: health +1.0 (score 25), escalations +1.5 (3), champion left +2 (1).
  const v1::ChurnModel model = Small();
  const Prediction p =
      Predict(model, {{v1::CHURN_FEATURE_HEALTH_SCORE, 25}, {v1::CHURN_FEATURE_ESCALATIONS_90D, 3}, {v1::CHURN_FEATURE_CHAMPION_LEFT_90D, 1}});
  const auto drivers = TopDrivers(model, p);
  ASSERT_EQ(drivers.size(), 2u);
  EXPECT_EQ(drivers[0].feature(), v1::CHURN_FEATURE_CHAMPION_LEFT_90D);
  EXPECT_NEAR(drivers[0].contribution(), 2.0, 1e-12);
  EXPECT_EQ(drivers[1].feature(), v1::CHURN_FEATURE_ESCALATIONS_90D);
  EXPECT_NEAR(drivers[1].contribution(), 1.5, 1e-12);
}

TEST(TopDrivers, AHealthyAccountHasNone) {
  const v1::ChurnModel model = Small();
  EXPECT_TRUE(TopDrivers(model, Predict(model, {{v1::CHURN_FEATURE_HEALTH_SCORE, 90}})).empty());
}

TEST(TierFor, EdgesBelongToTheHigherTier) {
  const v1::ChurnModel model = Small();
  EXPECT_EQ(TierFor(model, 0.1999), v1::LOW);
  EXPECT_EQ(TierFor(model, 0.2), v1::MEDIUM);
  EXPECT_EQ(TierFor(model, 0.5), v1::HIGH);
  EXPECT_EQ(TierFor(model, 0.8), v1::CRITICAL);
  EXPECT_EQ(TierFor(model, 1.0), v1::CRITICAL);
}

TEST(RetentionPriority, WeighsRevenueAndStrategicImportance) {
  const v1::ChurnModel model = Small();
  // 0.5 x 100,000 = 50,000 at risk; importance 10 with weight 1 doubles the priority.
  EXPECT_DOUBLE_EQ(RetentionPriority(model, 0.5, 100'000, 0), 50'000);
  EXPECT_DOUBLE_EQ(RetentionPriority(model, 0.5, 100'000, 10), 100'000);
  EXPECT_DOUBLE_EQ(RetentionPriority(model, 0.5, 100'000, 5), 75'000);
}

TEST(ShouldPublish, OnTheFirstRiskATierChangeOrAMoveBeyondTheThreshold) {
  const v1::ChurnModel model = Small();
  EXPECT_TRUE(ShouldPublish(model, std::nullopt, 0.1, v1::LOW));
  const Published last{0.30, v1::MEDIUM};
  EXPECT_FALSE(ShouldPublish(model, last, 0.34, v1::MEDIUM)) << "noise";
  EXPECT_FALSE(ShouldPublish(model, last, 0.26, v1::MEDIUM));
  EXPECT_TRUE(ShouldPublish(model, last, 0.35, v1::MEDIUM)) << "moved 0.05";
  EXPECT_TRUE(ShouldPublish(model, last, 0.51, v1::HIGH)) << "tier change";
  EXPECT_TRUE(ShouldPublish(Small(), Published{0.21, v1::MEDIUM}, 0.19, v1::LOW)) << "tier change, small move";
}

TEST(LoadModel, TheShippedModelLoads) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto model = LoadModel(std::string(srcdir ? srcdir : ".") + "/retention/services/churn-risk/models/churn-2026-11-a.textproto");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version(), "churn-2026-11-a");
  // A healthy, engaged account is LOW; a silent one whose champion left with a detractor is HIGH or worse.
  const auto healthy = Predict(*model, {{v1::CHURN_FEATURE_HEALTH_SCORE, 85}, {v1::CHURN_FEATURE_STAKEHOLDER_ROLES, 4}, {v1::CHURN_FEATURE_DAYS_TO_RENEWAL, 300}});
  EXPECT_EQ(healthy.tier, v1::LOW) << healthy.probability;
  const auto failing = Predict(*model, {{v1::CHURN_FEATURE_HEALTH_SCORE, 25},
                                        {v1::CHURN_FEATURE_USAGE_CHANGE_30D, -0.6},
                                        {v1::CHURN_FEATURE_CHAMPION_LEFT_90D, 1},
                                        {v1::CHURN_FEATURE_NPS_DETRACTOR, 1},
                                        {v1::CHURN_FEATURE_DAYS_TO_RENEWAL, 60}});
  EXPECT_GE(failing.tier, v1::HIGH) << failing.probability;
}

TEST(ParseModel, ErrorsNameTheLine) {
  auto bad = ParseModel("version: \"x\"\nfeatures { feature: CHURN_FEATURE_HEALTH_SCORE coefficient: 1 mean: 0 scale: 0 }\n"
                        "tiers { tier: LOW probability: 0 }\ntop_drivers: 1\n",
                        "m.textproto");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "m.textproto:2: feature CHURN_FEATURE_HEALTH_SCORE scale must be > 0, got 0");
  auto tiers = ParseModel("version: \"x\"\nfeatures { feature: CHURN_FEATURE_HEALTH_SCORE coefficient: 1 mean: 0 scale: 1 }\n"
                          "tiers { tier: LOW probability: 0 }\ntiers { tier: HIGH probability: 0 }\ntop_drivers: 1\n",
                          "m.textproto");
  ASSERT_FALSE(tiers.ok());
  EXPECT_EQ(tiers.status().message().substr(0, 14), "m.textproto:4:");
}

// The fitted model in use (services/kustomization.yaml, tools/demo): silence raises
// risk, as the generator's goes-dark accounts taught it.
TEST(LoadModel, TheFittedDefaultModelLearntThatSilenceRaisesRisk) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto model = LoadModel(std::string(srcdir ? srcdir : ".") + "/retention/services/churn-risk/models/churn-2026-11-c.textproto");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version(), "churn-2026-11-c");
  const FeatureValues active = {{v1::CHURN_FEATURE_HEALTH_SCORE, 85}, {v1::CHURN_FEATURE_DAYS_SILENT, 0}};
  FeatureValues quiet = active;
  quiet[v1::CHURN_FEATURE_DAYS_SILENT] = 45;
  const Prediction a = Predict(*model, active), q = Predict(*model, quiet);
  EXPECT_GT(q.probability, a.probability + 0.05) << a.probability << " -> " << q.probability;
  ASSERT_FALSE(q.contributions.empty());
  EXPECT_EQ(q.contributions[0].feature(), v1::CHURN_FEATURE_DAYS_SILENT);
}

}  // namespace
}  // namespace retention::churn
