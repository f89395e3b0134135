#include "libs/activity/activity.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace retention::activity {
namespace {

const absl::Time kDay0 = absl::FromUnixSeconds(1'780'000'000);
absl::Time Day(int d) { return kDay0 + absl::Hours(24 * d); }

v1::InteractionEvent Usage(int day, int active, std::vector<std::string> features) {
  v1::InteractionEvent e;
  e.set_account_id("a");
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(Day(day)));
  auto* u = e.mutable_product_usage();
  u->set_active_users(active);
  u->set_licensed_seats(50);
  u->set_sessions(active * 2);
  for (auto& f : features) u->add_features_used(f);
  return e;
}

TEST(Activity, UsageThatStoppedReadsAsInactiveNotAsMissing) {
  Activity a;
  for (int d = 0; d < 60; ++d) Apply(Usage(d, 40, {"reports", "api", "alerts"}), Day(d), &a);
  const int32_t last = DayOf(Day(59));
  MeasureValues active = ComputeMeasures(a, last);
  EXPECT_NEAR(active[v1::ACTIVE_USER_RATIO], 0.8, 1e-9);
  EXPECT_EQ(active[v1::FEATURE_BREADTH], 3);
  EXPECT_NEAR(active[v1::STICKINESS], 1.0, 1e-9);
  EXPECT_NEAR(active[v1::USAGE_CHANGE_30D], 0.0, 1e-9);

  // 60 days later, with no event at all.
  MeasureValues quiet = ComputeMeasures(a, last + 60);
  EXPECT_EQ(quiet[v1::ACTIVE_USER_RATIO], 0);
  EXPECT_EQ(quiet[v1::FEATURE_BREADTH], 0);
  EXPECT_EQ(quiet[v1::STICKINESS], 0);
  EXPECT_EQ(quiet[v1::USAGE_CHANGE_30D], -1);
  EXPECT_EQ(DaysSinceUsage(a, last + 60), 60);
  EXPECT_EQ(DaysSilent(a, last + 60), 60);
}

TEST(Activity, AnAccountThatNeverSentUsageHasNoAdoptionData) {
  Activity a;
  v1::InteractionEvent e;
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(Day(0)));
  e.mutable_survey_response()->set_nps(9);
  Apply(e, Day(0), &a);
  const MeasureValues m = ComputeMeasures(a, DayOf(Day(100)));
  EXPECT_EQ(m.count(v1::ACTIVE_USER_RATIO), 0u);
  EXPECT_EQ(m.count(v1::FEATURE_BREADTH), 0u);
  EXPECT_EQ(m.count(v1::USAGE_CHANGE_30D), 0u);
  EXPECT_EQ(m.at(v1::NPS_LATEST), 9);
  EXPECT_FALSE(DaysSinceUsage(a, DayOf(Day(100))).has_value());
}

TEST(Activity, WindowsAreKeptRelativeToTheClockNotTheLatestEvent) {
  Activity a;
  Apply(Usage(0, 10, {"reports"}), Day(0), &a);
  // Folded 120 days later (a late or replayed event): outside every window, but the
  // last usage day is still known.
  Activity late;
  Apply(Usage(0, 10, {"reports"}), Day(120), &late);
  EXPECT_EQ(late.usage_active_size(), 0);
  EXPECT_EQ(late.features_size(), 0);
  EXPECT_EQ(late.last_usage_day(), DayOf(Day(0)));
  // And the window slides with the clock: 91 days on, the usage is gone from it.
  Apply(Usage(95, 10, {"api"}), Day(95), &a);
  EXPECT_EQ(a.usage_base_day(), DayOf(Day(95)));
  EXPECT_EQ(a.usage_active_size(), 1);
  ASSERT_EQ(a.features_size(), 1);
}

TEST(Activity, NoTicketsCountOnlyWhileTheAccountIsThereAndAnswersGoStale) {
  Activity a;
  for (int d = 0; d < 30; ++d) Apply(Usage(d, 40, {"reports"}), Day(d), &a);
  v1::InteractionEvent nps;
  nps.set_account_id("a");
  nps.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(Day(29)));
  nps.mutable_survey_response()->set_nps(9);
  Apply(nps, Day(29), &a);
  const int32_t last = DayOf(Day(29));
  // Active: no tickets and no escalations are good news.
  MeasureValues active = ComputeMeasures(a, last);
  EXPECT_EQ(active.at(v1::TICKETS_30D), 0);
  EXPECT_EQ(active.at(v1::ESCALATIONS_90D), 0);
  EXPECT_EQ(active.at(v1::NPS_LATEST), 9);
  // 45 days of silence: the last 30 days say nothing about support; the last 90 still do.
  MeasureValues quiet = ComputeMeasures(a, last + 45);
  EXPECT_EQ(quiet.count(v1::TICKETS_30D), 0u);
  EXPECT_EQ(quiet.at(v1::ESCALATIONS_90D), 0);
  // Gone for 90 days: neither does; half a year on, the answer to the survey is stale.
  MeasureValues gone = ComputeMeasures(a, last + 90);
  EXPECT_EQ(gone.count(v1::ESCALATIONS_90D), 0u);
  EXPECT_EQ(gone.count(v1::NPS_LATEST), 1u);
  EXPECT_EQ(ComputeMeasures(a, last + kNpsFreshDays).count(v1::NPS_LATEST), 0u);
  EXPECT_EQ(DaysSilent(a, last + 90), 90);
}

TEST(Activity, StakeholdersAndFeaturesAreCapped) {
  Activity a;
  int dropped = 0;
  for (int i = 0; i < 200; ++i) {
    v1::InteractionEvent e;
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(Day(1)));
    e.set_contact_id(absl::StrCat("c", i));
    e.mutable_stakeholder_change()->set_kind(v1::StakeholderChange::JOINED);
    dropped += Apply(e, Day(1), &a).dropped_stakeholders;
  }
  EXPECT_EQ(a.stakeholders_size(), kMaxStakeholders);
  EXPECT_EQ(dropped, 200 - kMaxStakeholders);
  EXPECT_EQ(a.stakeholders(0).contact_id(), absl::StrCat("c", 200 - kMaxStakeholders)) << "the oldest went";
  std::vector<std::string> many;
  for (int i = 0; i < 100; ++i) many.push_back(absl::StrCat("f", i));
  Apply(Usage(2, 5, many), Day(2), &a);
  EXPECT_EQ(a.features_size(), kMaxFeatures);
}

// Found by tests/fuzz:activity_fuzz: a stored activity whose usage arrays differ in
// length (or hold days after today) was read past its end when pruned and measured.
TEST(Activity, ACorruptStoredUsageIsRepairedNotReadPastItsEnd) {
  Activity a;
  a.set_last_usage_day(DayOf(Day(10)));
  a.set_usage_base_day(DayOf(Day(5)));
  for (int i = 0; i < 5; ++i) a.add_usage_active(10);  // and no usage_sessions at all
  MeasureValues m = ComputeMeasures(a, DayOf(Day(10)));
  EXPECT_EQ(m.count(v1::STICKINESS), 1u);
  Prune(DayOf(Day(7)), &a);  // days 8 and 9 lie after "today": dropped
  EXPECT_EQ(a.usage_active_size(), 3);
  EXPECT_EQ(a.usage_sessions_size(), 3);
  Apply(Usage(7, 20, {"api"}), Day(7), &a);
  EXPECT_EQ(a.usage_active_size(), a.usage_sessions_size());
  EXPECT_EQ(a.usage_active(2), 20);
}

// Days far apart in a corrupt stored state (as tests/fuzz:activity_fuzz makes them)
// overflowed int32 arithmetic; the distances saturate instead.
TEST(Activity, ExtremeStoredDaysDoNotOverflow) {
  Activity a;
  a.set_last_usage_day(INT32_MIN);
  a.set_last_engagement_day(INT32_MIN + 1);
  a.set_last_value_day(INT32_MIN);
  a.set_renewal_at(INT64_MAX);
  const int32_t today = DayOf(Day(0));
  EXPECT_EQ(DaysSinceUsage(a, today), INT32_MAX);
  EXPECT_EQ(DaysSilent(a, today), INT32_MAX);
  MeasureValues m = ComputeMeasures(a, today);
  EXPECT_GT(m[v1::DAYS_TO_RENEWAL], 1e6);
  EXPECT_EQ(DayOfSeconds(INT64_MIN), kFirstDay);
  EXPECT_EQ(DayOfSeconds(INT64_MAX), kLastDay);
  EXPECT_EQ(DayOf(absl::FromCivil(absl::CivilDay(1, 1, 1), absl::UTCTimeZone())), kFirstDay);
  EXPECT_EQ(DayOf(absl::FromCivil(absl::CivilDay(9999, 12, 31), absl::UTCTimeZone())), kLastDay);
  EXPECT_EQ(DayOfSeconds(-1), -1);
  EXPECT_EQ(DayOfSeconds(86400), 1);
}

}  // namespace
}  // namespace retention::activity
