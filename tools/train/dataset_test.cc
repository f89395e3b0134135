#include "tools/train/dataset.h"

#include "gtest/gtest.h"

namespace retention::train {
namespace {

const absl::Time kCut = absl::FromCivil(absl::CivilDay(2026, 11, 1), absl::UTCTimeZone());

Snapshot WithAccounts(const std::vector<std::string>& accounts) {
  Snapshot s;
  s.at = kCut;
  for (const std::string& account : accounts) {
    s.churn[account].set_account_id(account);
    s.churn[account].set_has_health(true);
    s.churn[account].set_health_score(42);
    s.health[account].set_score(55);
    s.health[account].set_band(v1::YELLOW);
  }
  return s;
}

TEST(DatasetTest, LeavesOutAndCountsLabelledAccountsWithoutEvents) {
  LabelSet labels;
  labels.by_account["with-events"] = {true, std::nullopt};
  labels.by_account["silent-1"] = {false, std::nullopt};
  labels.by_account["silent-2"] = {true, std::nullopt};
  const Dataset d = BuildDataset(labels, WithAccounts({"with-events", "unlabelled"}));
  EXPECT_EQ(d.no_events, 2);
  EXPECT_EQ(d.unlabelled, 1);
  ASSERT_EQ(d.rows.size(), 1u);
  const Row& row = d.rows[0];
  EXPECT_EQ(row.account, "with-events");
  EXPECT_EQ(row.churned, 1);
  EXPECT_EQ(row.features.at(v1::CHURN_FEATURE_HEALTH_SCORE), 42);
  EXPECT_EQ(row.health_score, 55);
  EXPECT_EQ(row.band, v1::YELLOW);
}

// A cut's labels are the outcomes after it; one decided before is history, not a label.
TEST(DatasetTest, KeepsOnlyOutcomesAfterTheCut) {
  LabelSet labels;
  labels.by_account["renews-later"] = {false, kCut + absl::Hours(24 * 40)};
  labels.by_account["renews-at-the-cut"] = {true, kCut};
  labels.by_account["renewed-before"] = {true, kCut - absl::Hours(24)};
  const Dataset d = BuildDataset(labels, WithAccounts({"renews-later", "renews-at-the-cut", "renewed-before"}));
  EXPECT_EQ(d.decided_before, 1);
  EXPECT_EQ(d.no_events, 0);
  ASSERT_EQ(d.rows.size(), 2u);
  EXPECT_EQ(d.rows[0].account, "renews-at-the-cut");
  EXPECT_EQ(d.rows[1].account, "renews-later");
}

TEST(DatasetTest, FeatureMatrixFollowsTheColumnsAndLeavesGapsForMissingData) {
  Row a;
  a.features[v1::CHURN_FEATURE_DAYS_SILENT] = 12;
  Row b;
  b.features[v1::CHURN_FEATURE_HEALTH_SCORE] = 70;
  const Matrix x = FeatureMatrix({a, b}, {v1::CHURN_FEATURE_HEALTH_SCORE, v1::CHURN_FEATURE_DAYS_SILENT});
  ASSERT_EQ(x.size(), 2u);
  EXPECT_FALSE(x[0][0].has_value());
  EXPECT_EQ(x[0][1], 12);
  EXPECT_EQ(x[1][0], 70);
  EXPECT_FALSE(x[1][1].has_value());
}

}  // namespace
}  // namespace retention::train
