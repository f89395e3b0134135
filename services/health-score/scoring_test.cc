#include "services/health-score/scoring.h"

#include "gtest/gtest.h"
#include "services/health-score/scorecard.h"

namespace retention::health {
namespace {

// Two components, each with one measure mapped 1:1 (value v scores v).
v1::ScorecardSet TwoComponents() {
  auto set = ParseScorecardSet(R"(version: "t" yellow_from: 40 green_from: 70 stable_within: 3
    trend_windows_days: [7, 30, 90]
    scorecards { segment: "default"
      components { component: PRODUCT_ADOPTION weight: 0.6
        measures { measure: ACTIVE_USER_RATIO weight: 1
          steps { from: 0 score: 0 } steps { from: 50 score: 50 } steps { from: 80 score: 80 } } }
      components { component: SUPPORT weight: 0.4
        measures { measure: ESCALATIONS_90D weight: 1 steps { from: 0 score: 50 } } }
      components { component: SENTIMENT weight: 0.3
        measures { measure: NPS_LATEST weight: 1 steps { from: 0 score: 0 } steps { from: 9 score: 100 } } }
    })",
                               "test");
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

TEST(Scoring, ScoreIsTheWeightedMeanOfComponents) {
  // Adoption 80 (weight 0.6), support 50 (0.4), sentiment 100 (0.3):
  // (80*0.6 + 50*0.4 + 100*0.3) / 1.3 = 98 / 1.3 = 75.38
  const auto set = TwoComponents();
  v1::AccountHealth h;
  ScoreComponents(set.scorecards(0), {{v1::ACTIVE_USER_RATIO, 85}, {v1::ESCALATIONS_90D, 0}, {v1::NPS_LATEST, 9}},
                  &h);
  EXPECT_NEAR(h.computed_score(), 98.0 / 1.3, 1e-9);
  ASSERT_EQ(h.components_size(), 3);
  EXPECT_NEAR(h.components(0).effective_weight(), 0.6 / 1.3, 1e-9);
  EXPECT_NEAR(h.components(0).contribution(), 80 * 0.6 / 1.3, 1e-9);
  double sum = 0;
  for (const auto& c : h.components()) sum += c.contribution();
  EXPECT_NEAR(sum, h.computed_score(), 1e-9) << "contributions add up to the score";
}

TEST(Scoring, AComponentWithoutDataGivesItsWeightToTheOthersInProportion) {
  // No NPS: adoption 80 and support 50 share the whole weight 0.6 : 0.4 -> 80*0.6 + 50*0.4 = 68.
  const auto set = TwoComponents();
  v1::AccountHealth h;
  ScoreComponents(set.scorecards(0), {{v1::ACTIVE_USER_RATIO, 80}, {v1::ESCALATIONS_90D, 2}}, &h);
  EXPECT_NEAR(h.computed_score(), 68.0, 1e-9);
  EXPECT_NEAR(h.components(0).effective_weight(), 0.6, 1e-9);
  EXPECT_NEAR(h.components(1).effective_weight(), 0.4, 1e-9);
  EXPECT_FALSE(h.components(2).has_data());
  EXPECT_EQ(h.components(2).effective_weight(), 0);
  EXPECT_NE(h.components(2).note().find("no data"), std::string::npos);
  EXPECT_FALSE(h.components(2).measures(0).has_data());
}

TEST(Scoring, StepsApplyFromTheirLowerEdgeInclusive) {
  const auto set = TwoComponents();
  const v1::MeasureRule& rule = set.scorecards(0).components(0).measures(0);
  EXPECT_EQ(StepScore(rule, 49.999), 0);
  EXPECT_EQ(StepScore(rule, 50), 50);
  EXPECT_EQ(StepScore(rule, 79.999), 50);
  EXPECT_EQ(StepScore(rule, 80), 80);
  EXPECT_EQ(StepScore(rule, 1e9), 80);
  EXPECT_EQ(StepScore(rule, -5), 0) << "below the first step: the first step's score";
}

TEST(Scoring, BandEdgesBelongToTheHigherBand) {
  const auto set = TwoComponents();
  EXPECT_EQ(BandFor(set, 39.999), v1::RED);
  EXPECT_EQ(BandFor(set, 40), v1::YELLOW);
  EXPECT_EQ(BandFor(set, 69.999), v1::YELLOW);
  EXPECT_EQ(BandFor(set, 70), v1::GREEN);
}

TEST(Scoring, AnOverrideHoldsUntilItExpiresThenLapses) {
  v1::AccountHealth h;
  h.set_computed_score(35);
  h.set_score(35);
  v1::HealthOverride o;
  o.set_score(75);
  o.set_reason("exec sponsor confirmed renewal");
  o.set_author("cs-lead@example.com");
  o.mutable_expires_at()->set_seconds(1'800'000'000);
  ApplyOverride(o, absl::FromUnixSeconds(1'799'999'999), &h);
  EXPECT_EQ(h.score(), 75);
  EXPECT_EQ(h.override().reason(), "exec sponsor confirmed renewal");
  ApplyOverride(o, absl::FromUnixSeconds(1'800'000'000), &h);
  EXPECT_EQ(h.score(), 35) << "expired: the computed score is back";
  EXPECT_FALSE(h.has_override());
}

TEST(Scoring, TrendOverEachWindowFromDailySnapshots) {
  const auto set = TwoComponents();
  const int64_t today = 20000;
  // 90 days ago 80, 30 days ago 60, 7 days ago 51; now 50.
  const DailyScores daily = {{today - 95, 85}, {today - 90, 80}, {today - 31, 60}, {today - 7, 51}, {today, 50}};
  const auto trends = ComputeTrends(set, daily, today, 50);
  ASSERT_EQ(trends.size(), 3u);
  EXPECT_EQ(trends[0].window_days(), 7);
  EXPECT_NEAR(trends[0].change(), -1, 1e-9);
  EXPECT_EQ(trends[0].direction(), v1::STABLE) << "within 3 points";
  EXPECT_EQ(trends[1].window_days(), 30);
  EXPECT_NEAR(trends[1].change(), -10, 1e-9) << "the latest snapshot on or before 30 days ago (day -31)";
  EXPECT_EQ(trends[1].direction(), v1::DECLINING);
  EXPECT_NEAR(trends[1].points_per_week(), -10.0 / 30 * 7, 1e-9);
  EXPECT_EQ(trends[2].window_days(), 90);
  EXPECT_NEAR(trends[2].change(), -30, 1e-9);
}

TEST(Scoring, NoTrendBeforeASnapshotThatOldExists) {
  const auto set = TwoComponents();
  const auto trends = ComputeTrends(set, {{100, 60}}, 110, 70);
  EXPECT_TRUE(trends[0].has_data());
  EXPECT_EQ(trends[0].direction(), v1::IMPROVING);
  EXPECT_FALSE(trends[1].has_data());
  EXPECT_FALSE(trends[2].has_data());
}

TEST(Loyalty, SentimentSetsTheBaseAndASatisfiedAccountIsNotLoyal) {
  EXPECT_EQ(LoyaltyFor({2, {}, 80, 0}).first, v1::AVERSION);
  EXPECT_EQ(LoyaltyFor({5, {}, 80, 0}).first, v1::DISLIKE);
  EXPECT_EQ(LoyaltyFor({8, {}, 80, 0}).first, v1::SATISFACTION);
  EXPECT_EQ(LoyaltyFor({10, {}, 80, 0}).first, v1::LIKE);
  EXPECT_EQ(LoyaltyFor({{}, 4.5, 80, 0}).first, v1::LIKE) << "CSAT when there is no NPS";
  EXPECT_EQ(LoyaltyFor({{}, {}, 90, 0}).first, v1::SATISFACTION) << "usage alone is not loyalty";
}

TEST(Loyalty, AdvocacyMovesTowardChampionAndOnlyAdvocatesAreChampions) {
  const auto [promoter, why] = LoyaltyFor({10, {}, 80, 0});
  EXPECT_EQ(promoter, v1::LIKE);
  EXPECT_NE(why.find("not a champion"), std::string::npos);
  EXPECT_EQ(LoyaltyFor({10, {}, 80, 1}).first, v1::CHAMPION);
  EXPECT_EQ(LoyaltyFor({8, {}, 80, 1}).first, v1::LIKE);
  EXPECT_EQ(LoyaltyFor({8, {}, 80, 2}).first, v1::CHAMPION);
  EXPECT_EQ(LoyaltyFor({8, {}, 80, 5}).first, v1::CHAMPION);
}

TEST(Loyalty, LowAdoptionCapsWhatTheySay) {
  const auto [stage, why] = LoyaltyFor({10, {}, 20, 0});
  EXPECT_EQ(stage, v1::SATISFACTION);
  EXPECT_NE(why.find("low adoption"), std::string::npos);
}

}  // namespace
}  // namespace retention::health
