#include "tools/train/bands.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/matchers.h"

namespace retention::train {
namespace {

using ::retention::testing::IsOk;
using ::retention::testing::StatusIs;
using ::testing::HasSubstr;

v1::ScorecardSet Thresholds(double yellow_from, double green_from) {
  v1::ScorecardSet set;
  set.set_yellow_from(yellow_from);
  set.set_green_from(green_from);
  return set;
}

TEST(BandsTest, ChurnRateOfEachBandAsHealthScoreBandsIt) {
  const std::vector<double> score = {10, 39.9, 40, 69.9, 70, 95};
  const std::vector<int> churned = {1, 1, 1, 0, 0, 0};
  const BandRates r = BandChurnRates(Thresholds(40, 70), score, churned);
  EXPECT_EQ(r.all.accounts, 6);
  EXPECT_DOUBLE_EQ(r.all.rate(), 0.5);
  EXPECT_EQ(r.bands.at(v1::RED).accounts, 2);
  EXPECT_DOUBLE_EQ(r.bands.at(v1::RED).rate(), 1.0);
  EXPECT_EQ(r.bands.at(v1::YELLOW).accounts, 2);
  EXPECT_DOUBLE_EQ(r.bands.at(v1::YELLOW).rate(), 0.5);
  EXPECT_DOUBLE_EQ(r.bands.at(v1::GREEN).rate(), 0.0);
  EXPECT_EQ(BandChurnRates(Thresholds(40, 70), {}, {}).bands.size(), 3u);
}

// Scores 0-99, one account each; below 20 nine in ten churn, from 20 to 39 one in two,
// from 40 to 69 one in four, from 70 one in thirty: 37 of 100.
void Base(std::vector<double>& score, std::vector<int>& churned) {
  for (int s = 0; s < 100; ++s) {
    score.push_back(s + 0.5);
    churned.push_back(s < 20 ? s % 10 != 0 : s < 40 ? s % 2 == 0 : s < 70 ? s % 4 == 0 : s == 80);
  }
}

TEST(BandsTest, FitsTheLargestBandsThatMeetTheTargets) {
  std::vector<double> score;
  std::vector<int> churned;
  Base(score, churned);
  const auto fitted = FitBands(score, churned, {2.1, 0.5, 0.05, /*z=*/0});
  ASSERT_THAT(fitted, IsOk());
  const BandRates r = BandChurnRates(Thresholds(fitted->yellow_from, fitted->green_from), score, churned);
  const double base = r.all.rate();
  EXPECT_GE(r.bands.at(v1::RED).rate(), 2.1 * base);
  EXPECT_LE(r.bands.at(v1::GREEN).rate(), 0.5 * base);
  // One point lower and GREEN would churn too often; one point higher and RED too rarely.
  EXPECT_GT(BandChurnRates(Thresholds(0, fitted->green_from - 1), score, churned).bands.at(v1::GREEN).rate(), 0.5 * base);
  EXPECT_LT(BandChurnRates(Thresholds(fitted->yellow_from + 1, 100), score, churned).bands.at(v1::RED).rate(), 2.1 * base);
  EXPECT_LT(fitted->yellow_from + 1, fitted->green_from);  // RED was held back by its rate, not by GREEN
}

// Asked to be sure, the bands keep a margin: smaller, with rates further from the
// targets than the observed rates need.
TEST(BandsTest, ConfidenceKeepsAMarginFromTheTargets) {
  std::vector<double> score;
  std::vector<int> churned;
  for (int copy = 0; copy < 20; ++copy) Base(score, churned);  // 2,000 accounts, the same shape
  const auto observed = FitBands(score, churned, {2.1, 0.5, 0.05, 0});
  const auto sure = FitBands(score, churned, {2.1, 0.5, 0.05, 1.96});
  ASSERT_THAT(observed, IsOk());
  ASSERT_THAT(sure, IsOk());
  EXPECT_LE(sure->yellow_from, observed->yellow_from);
  EXPECT_GE(sure->green_from, observed->green_from);
  EXPECT_TRUE(sure->yellow_from < observed->yellow_from || sure->green_from > observed->green_from) << "no margin";
  // With only the 100 accounts, the margin leaves no GREEN meeting its target at 95%.
  std::vector<double> few_score;
  std::vector<int> few_churned;
  Base(few_score, few_churned);
  EXPECT_THAT(FitBands(few_score, few_churned, {2.1, 0.5, 0.05, 1.96}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(BandsTest, SaysWhichBandCannotMeetItsTarget) {
  std::vector<double> score;
  std::vector<int> churned;
  Base(score, churned);
  // Half the accounts GREEN at a tenth of the base rate: no.
  EXPECT_THAT(FitBands(score, churned, {2.1, 0.1, 0.5, 0}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("GREEN")));
  // Three times a base rate of 37%: no band churns more than everyone.
  EXPECT_THAT(FitBands(score, churned, {3.0, 0.5, 0.05, 0}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("RED")));
  EXPECT_THAT(FitBands(score, std::vector<int>(score.size(), 0), {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("same outcome")));
}

}  // namespace
}  // namespace retention::train
