#include "tools/train/replay.h"

#include <cstdlib>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/activity/activity.h"
#include "libs/status/matchers.h"
#include "services/churn-risk/features.h"
#include "services/churn-risk/model.h"
#include "services/health-score/scorecard.h"

namespace retention::train {
namespace {

using ::retention::testing::IsOk;
using ::retention::testing::StatusIs;
using ::testing::HasSubstr;

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return absl::StrCat(srcdir ? srcdir : ".", "/retention/", path);
}

const absl::Time kStart = absl::FromCivil(absl::CivilDay(2026, 9, 1), absl::UTCTimeZone());

std::string At(int day, int hour = 12) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", kStart + absl::Hours(24 * day + hour), absl::UTCTimeZone());
}

// A day of product use: `active` of 20 seats.
std::string Usage(const std::string& account, int day, int active = 15) {
  return absl::StrFormat(
      R"({"eventId":"%s-u%d","accountId":"%s","occurredAt":"%s","productUsage":{"activeUsers":%d,"licensedSeats":20,"sessions":%d,"periodHours":24,"featuresUsed":["reports","api","alerts"]}})",
      account, day, account, At(day, 23), active, 3 * active);
}

std::string Contract(const std::string& account) {
  return absl::StrFormat(
      R"({"eventId":"%s-c","accountId":"%s","occurredAt":"%s","contractBilling":{"kind":"RENEWED","renewalDate":"%s","arr":"50000","seats":20}})",
      account, account, At(0, 1), At(150));
}

// A history of `days` days of use for each account, in the file as the generator
// writes it: each account's events in time order, accounts one after the other.
std::string History(const std::vector<std::string>& accounts, int days) {
  std::string out;
  for (const std::string& account : accounts) {
    out += Contract(account) + "\n";
    for (int d = 0; d < days; ++d) out += Usage(account, d) + "\n";
  }
  return out;
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scorecards = health::LoadScorecardSet(Runfile("services/health-score/scorecards/default.textproto"));
    ASSERT_THAT(scorecards, IsOk());
    scorecards_ = *scorecards;
    auto model = churn::LoadModel(Runfile("services/churn-risk/models/churn-2026-11-a.textproto"));
    ASSERT_THAT(model, IsOk());
    model_ = *model;
  }

  absl::StatusOr<ReplayResult> Replay(const std::string& jsonl, std::vector<absl::Time> cuts = {}) {
    std::istringstream in(jsonl);
    ReplayOptions options;
    options.cuts = std::move(cuts);
    options.batch_size = 7;  // many batches, as a long history has
    return ReplayHistory(in, scorecards_, model_, options);
  }

  v1::ScorecardSet scorecards_;
  v1::ChurnModel model_;
};

TEST_F(ReplayTest, RefusesAnEventWithoutOccurredAtNamingItsLine) {
  const std::string history =
      Usage("a", 0) + "\n" + R"({"eventId":"x-1","accountId":"a","productUsage":{"activeUsers":3}})" + "\n";
  EXPECT_THAT(Replay(history), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: event x-1 has no occurred_at")));
}

TEST_F(ReplayTest, DropsRepeatedEventIdsAsIngestDoesAndCountsThem) {
  const std::string once = History({"a", "b"}, 20);
  const std::string twice = once + Usage("a", 3, /*active=*/1) + "\n" + Usage("b", 19, 0) + "\n" + Contract("a") + "\n";
  auto first = Replay(once);
  auto second = Replay(twice);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(first->repeated, 0);
  EXPECT_EQ(second->repeated, 3);
  EXPECT_EQ(second->events, first->events);
  // The first copy counts; the repeats, with other contents, change nothing.
  for (const std::string account : {"a", "b"}) {
    EXPECT_EQ(second->cuts[0].churn.at(account).SerializeAsString(), first->cuts[0].churn.at(account).SerializeAsString());
    EXPECT_EQ(second->cuts[0].health.at(account).score(), first->cuts[0].health.at(account).score());
  }
}

TEST_F(ReplayTest, SkipsAndCountsLinesIngestWouldRefuse) {
  const std::string history = History({"a"}, 3) + "{\"eventId\":\"cut short\n" +
                              R"({"eventId":"n-1","occurredAt":"2026-09-02T00:00:00Z","productUsage":{}})" + "\n" +
                              R"({"accountId":"a","occurredAt":"2026-09-02T00:00:00Z","productUsage":{}})" + "\n" +
                              R"({"eventId":"n-2","accountId":"a","occurredAt":"2026-09-02T00:00:00Z"})" + "\n";
  auto replay = Replay(history);
  ASSERT_THAT(replay, IsOk());
  EXPECT_EQ(replay->unreadable_lines, 4);
  EXPECT_EQ(replay->events, 4);
}

// The generator writes chunks of accounts, each in time order: the replay folds in time
// order anyway, so that the services' days pass as they did live (trends need them).
TEST_F(ReplayTest, FoldsInTimeOrderWhateverTheFilesOrder) {
  const std::string by_account = History({"a", "b", "c"}, 60);
  std::string by_time = Contract("a") + "\n" + Contract("b") + "\n" + Contract("c") + "\n";
  for (int d = 0; d < 60; ++d) by_time += Usage("a", d) + "\n" + Usage("b", d) + "\n" + Usage("c", d) + "\n";
  const absl::Time cut = kStart + absl::Hours(24 * 61);
  auto chunked = Replay(by_account, {cut});
  auto ordered = Replay(by_time, {cut});
  ASSERT_THAT(chunked, IsOk());
  ASSERT_THAT(ordered, IsOk());
  for (const std::string account : {"a", "b", "c"}) {
    SCOPED_TRACE(account);
    EXPECT_EQ(chunked->cuts[0].health.at(account).DebugString(),
              ordered->cuts[0].health.at(account).DebugString());
    // 30 days of daily scores lie behind the last account too.
    const v1::AccountHealth& health = chunked->cuts[0].health.at(account);
    bool trend_30d = false;
    for (const v1::Trend& t : health.trends()) trend_30d |= t.window_days() == 30 && t.has_data();
    EXPECT_TRUE(trend_30d);
  }
}

TEST_F(ReplayTest, EachCutSeesOnlyTheEventsBeforeItAndTheSilenceSince) {
  // "a" uses the product for 40 days, then goes quiet; "late" starts on day 50.
  const std::string history = History({"a"}, 40) + History({"late"}, 0) + Usage("late", 50) + "\n" + Usage("late", 90) + "\n";
  const absl::Time early = kStart + absl::Hours(24 * 30);
  const absl::Time later = kStart + absl::Hours(24 * 70);
  auto replay = Replay(history, {early, later});
  ASSERT_THAT(replay, IsOk());
  ASSERT_EQ(replay->cuts.size(), 2u);
  EXPECT_EQ(replay->after_last_cut, 1);  // late's day 90
  const Snapshot& first = replay->cuts[0];
  const Snapshot& second = replay->cuts[1];
  EXPECT_EQ(first.at, early);
  EXPECT_EQ(second.at, later);
  // "late" had its contract (day 0) by the first cut, no usage yet.
  ASSERT_EQ(first.churn.count("late"), 1u);
  EXPECT_FALSE(activity::DaysSinceUsage(first.churn.at("late").activity(), activity::DayOf(early)).has_value());

  const auto silent = [](const Snapshot& s, const std::string& account) {
    const auto f = churn::ComputeFeatures(s.churn.at(account), activity::DayOf(s.at));
    return f.at(v1::CHURN_FEATURE_DAYS_SILENT);
  };
  EXPECT_EQ(silent(first, "a"), 1);    // used yesterday (day 29)
  EXPECT_EQ(silent(second, "a"), 31);  // last use on day 39, 31 days before day 70
  EXPECT_LT(second.health.at("a").score(), first.health.at("a").score());
}

TEST_F(ReplayTest, WithoutCutsFoldsEverythingUpToTheLatestEvent) {
  auto replay = Replay(History({"a"}, 10));
  ASSERT_THAT(replay, IsOk());
  ASSERT_EQ(replay->cuts.size(), 1u);
  EXPECT_EQ(replay->events, 11);
  EXPECT_EQ(replay->cuts[0].at, kStart + absl::Hours(24 * 9 + 23));
}

}  // namespace
}  // namespace retention::train
