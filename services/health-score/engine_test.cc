// health-score's engine through the stream runner, without servers: scores and their
// explanations, silence that lowers health with no event, overrides that lapse.
#include "services/health-score/engine.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/stream/local_runner.h"
#include "libs/proto/time_util.h"
#include "services/health-score/scorecard.h"

namespace retention::health {
namespace {

using Runner = stream::LocalRunner<HealthEngine>;

v1::ScorecardSet ShippedScorecards() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto set = LoadScorecardSet(std::string(srcdir ? srcdir : ".") +
                              "/retention/services/health-score/scorecards/default.textproto");
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

const absl::Time kDay0 = absl::FromUnixSeconds(1'780'000'000);
absl::Time Day(int d) { return kDay0 + absl::Hours(24 * d); }

// A scripted history of one account.
class History {
 public:
  explicit History(std::string account, int shift = 0) : account_(std::move(account)), shift_(shift) {}

  v1::InteractionEvent& Add(int day) {
    v1::InteractionEvent& e = events_.emplace_back();
    e.set_event_id(absl::StrCat(account_, "-", events_.size()));
    e.set_account_id(account_);
    *e.mutable_occurred_at() = proto::ToTimestamp(Day(day + shift_));
    return e;
  }
  void Usage(int day, int active, std::vector<std::string> features = {"reports", "api", "alerts", "export"}) {
    auto* u = Add(day).mutable_product_usage();
    u->set_active_users(active);
    u->set_licensed_seats(50);
    for (auto& f : features) u->add_features_used(f);
  }
  void Stakeholder(int day, const std::string& contact, v1::StakeholderChange::Kind kind,
                   v1::StakeholderChange::Role role, bool champion) {
    auto& e = Add(day);
    e.set_contact_id(contact);
    e.mutable_stakeholder_change()->set_kind(kind);
    e.mutable_stakeholder_change()->set_role(role);
    e.mutable_stakeholder_change()->set_champion(champion);
  }
  // Records in time order from event `from` on.
  std::vector<kafka::ConsumedRecord> Records(size_t from = 0) {
    std::vector<v1::InteractionEvent> sorted(events_.begin() + static_cast<long>(from), events_.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.occurred_at().seconds() < b.occurred_at().seconds();
    });
    std::vector<kafka::ConsumedRecord> out;
    for (const auto& e : sorted) out.push_back({"v1", 0, offset_++, account_, e.SerializeAsString(), {}, 0});
    return out;
  }
  size_t size() const { return events_.size(); }
  const std::string& account() const { return account_; }

 private:
  std::string account_;
  int shift_;
  int64_t offset_ = 0;
  std::vector<v1::InteractionEvent> events_;
};

void Healthy(History& h) {
  h.Stakeholder(0, "sponsor", v1::StakeholderChange::JOINED, v1::StakeholderChange::EXECUTIVE_SPONSOR, false);
  h.Stakeholder(0, "champ", v1::StakeholderChange::JOINED, v1::StakeholderChange::DIRECTOR, true);
  for (int day = 0; day < 60; ++day) h.Usage(day, 40);
  h.Add(30).mutable_survey_response()->set_nps(9);
  h.Add(40).mutable_engagement()->set_kind(v1::Engagement::QBR);
  h.Add(45).mutable_engagement()->set_kind(v1::Engagement::TRAINING);
}

std::vector<v1::HealthSignal> Signals(const stream::FoldResult& r) {
  std::vector<v1::HealthSignal> out;
  for (const auto& record : r.signals) {
    v1::HealthSignal s;
    EXPECT_TRUE(s.ParseFromString(record.value));
    out.push_back(s);
  }
  return out;
}

class HealthEngineTest : public ::testing::Test {
 protected:
  HealthEngineTest() : engine_({ShippedScorecards(), "v1", "overrides", "health"}) {}
  v1::AccountHealth Now(Runner& runner, const std::string& account, absl::Time at) {
    return Evaluate(engine_.settings().scorecards, *runner.state(account), at);
  }
  HealthEngine engine_;
};

TEST_F(HealthEngineTest, AScriptedDeclineMovesScoreAndBandAndIsExplained) {
  Runner runner(&engine_);
  History h("acme");
  Healthy(h);
  runner.Feed(h.Records());
  const v1::AccountHealth healthy = Now(runner, "acme", Day(59));
  EXPECT_EQ(healthy.band(), v1::GREEN) << healthy.DebugString();
  EXPECT_GE(healthy.score(), 80);

  const size_t before = h.size();
  for (int day = 60; day < 90; ++day) h.Usage(day, 8, {"reports"});
  h.Add(70).mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
  h.Add(71).mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
  h.Add(75).mutable_survey_response()->set_nps(3);
  h.Stakeholder(80, "champ", v1::StakeholderChange::LEFT_COMPANY, v1::StakeholderChange::DIRECTOR, true);
  const auto signals = Signals(runner.Feed(h.Records(before)));
  ASSERT_FALSE(signals.empty());
  EXPECT_EQ(signals.back().health().band(), v1::RED) << signals.back().health().DebugString();
  EXPECT_LT(signals.size(), (h.size() - before) / 3) << "signals on meaningful change only";
  const v1::AccountHealth declined = Now(runner, "acme", Day(89));
  EXPECT_EQ(declined.loyalty_stage(), v1::AVERSION);
  double contributions = 0;
  for (const auto& c : declined.components()) contributions += c.contribution();
  EXPECT_NEAR(contributions, declined.computed_score(), 1e-6) << "the explanation adds up to the score";
}

TEST_F(HealthEngineTest, SilenceLowersHealthWithNoEventAndSaysWhy) {
  Runner runner(&engine_);
  History h("quiet");
  Healthy(h);  // its last usage is on day 59
  runner.Feed(h.Records());
  const v1::AccountHealth active = Now(runner, "quiet", Day(59));
  ASSERT_EQ(active.band(), v1::GREEN);
  EXPECT_EQ(active.days_silent(), 0);
  // Two months pass with no event for the account: daily ticks re-evaluate it.
  const auto signals = Signals(runner.AdvanceTo(Day(120)));
  ASSERT_FALSE(signals.empty());
  const v1::AccountHealth month = Now(runner, "quiet", Day(89));
  EXPECT_EQ(month.band(), v1::YELLOW) << month.DebugString();
  const v1::AccountHealth quiet = Now(runner, "quiet", Day(120));
  EXPECT_EQ(quiet.band(), v1::RED) << quiet.DebugString();
  EXPECT_EQ(quiet.days_silent(), 61);
  EXPECT_EQ(quiet.capped_by(), "at most RED: no activity for 61 days");
  EXPECT_LE(quiet.score(), active.score() - 15);
  for (const auto& c : quiet.components()) {
    if (c.component() == v1::PRODUCT_ADOPTION) {
      EXPECT_EQ(c.note(), "no product activity for 61 days") << c.DebugString();
    }
    // No tickets while nobody uses the product says nothing: the account was last seen
    // 61 days ago, so ticket counts of the last 30 (and 30 before) have no data.
    for (const auto& m : c.measures()) {
      if (m.measure() == v1::TICKET_CHANGE_30D) {
        EXPECT_FALSE(m.has_data()) << c.DebugString();
      }
    }
  }
  // Down the bands one signal at a time, each saying time did it.
  v1::HealthBand band = v1::GREEN;
  for (const v1::HealthSignal& s : signals) {
    EXPECT_TRUE(s.trigger_event_id().empty());
    EXPECT_NE(s.trigger_reason().find("no activity for"), std::string::npos) << s.trigger_reason();
    EXPECT_LE(s.health().band(), band) << "bands only fall while the account is quiet";
    band = s.health().band();
  }
  EXPECT_EQ(signals.back().health().band(), v1::RED);
  // The id depends on the account and the due time only: a replay gives the same ids.
  Runner replay(&engine_);
  History again("quiet");
  Healthy(again);
  replay.Feed(again.Records());
  const auto replayed = Signals(replay.AdvanceTo(Day(120)));
  ASSERT_EQ(replayed.size(), signals.size());
  for (size_t i = 0; i < signals.size(); ++i) EXPECT_EQ(replayed[i].signal_id(), signals[i].signal_id());
}

TEST_F(HealthEngineTest, TheSameHistoryEndingLongerAgoScoresLower) {
  Runner runner(&engine_);
  History recent("recent", 60);  // its last day is yesterday
  History old("old", 0);         // the same, 60 days earlier
  Healthy(recent);
  Healthy(old);
  auto records = old.Records();
  for (auto& r : recent.Records()) records.push_back(r);
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    v1::InteractionEvent x, y;
    x.ParseFromString(a.value);
    y.ParseFromString(b.value);
    return x.occurred_at().seconds() < y.occurred_at().seconds();
  });
  runner.Feed(records);
  runner.AdvanceTo(Day(120));
  const v1::AccountHealth r = Now(runner, "recent", Day(120));
  const v1::AccountHealth o = Now(runner, "old", Day(120));
  EXPECT_EQ(r.band(), v1::GREEN) << r.DebugString();
  EXPECT_NE(o.band(), v1::GREEN) << o.DebugString();
  EXPECT_LE(o.score(), r.score() - 15);
}

TEST_F(HealthEngineTest, AnOverrideSetsTheScoreAndItsExpiryIsPublished) {
  Runner runner(&engine_);
  History h("overridden");
  Healthy(h);
  runner.Feed(h.Records());
  v1::OverrideRecord o;
  o.set_account_id("overridden");
  o.set_command_id("c1");
  o.mutable_override()->set_score(20);
  o.mutable_override()->set_reason("exec escalation");
  o.mutable_override()->set_author("cs-lead@example.com");
  *o.mutable_override()->mutable_expires_at() = proto::ToTimestamp(Day(60) + absl::Hours(6));
  *o.mutable_recorded_at() = proto::ToTimestamp(Day(60));
  const auto set = Signals(runner.Feed({{"overrides", 0, 0, "overridden", o.SerializeAsString(), {}, 0}}));
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0].health().score(), 20);
  EXPECT_EQ(set[0].health().band(), v1::RED);
  EXPECT_EQ(set[0].trigger_reason(), "override to 20 set by cs-lead@example.com");
  EXPECT_EQ(runner.state("overridden")->override_command_id(), "c1");
  // It lapses by itself: a tick at its expiry publishes the score coming back.
  const auto lapsed = Signals(runner.AdvanceTo(Day(60) + absl::Hours(7)));
  ASSERT_EQ(lapsed.size(), 1u);
  EXPECT_EQ(lapsed[0].trigger_reason(), "override expired");
  EXPECT_EQ(lapsed[0].triggered_at().seconds(), absl::ToUnixSeconds(Day(60) + absl::Hours(6)));
  EXPECT_EQ(lapsed[0].health().band(), v1::GREEN);
  EXPECT_FALSE(lapsed[0].health().has_override());
}

TEST_F(HealthEngineTest, UndecodableInputsAreRefusedWithAReason) {
  EXPECT_FALSE(engine_.Decode({"v1", 0, 0, "k", "garbage", {}, 0}).ok());
  v1::InteractionEvent no_time;
  no_time.set_account_id("a");
  EXPECT_EQ(engine_.Decode({"v1", 0, 0, "a", no_time.SerializeAsString(), {}, 0}).status().message(),
            "event without occurred_at");
}

// Found by tests/fuzz:health_engine_fuzz: an event on the v1 topic dated far before
// year 1 (possible in the protobuf encoding) overflowed the activity's day arithmetic.
// Such a record cannot be decoded: the loop quarantines it.
TEST_F(HealthEngineTest, AnInputDatedOutsideTheTimestampRangeIsNotDecoded) {
  History h("acct-far-past");
  h.Usage(0, 10);
  std::vector<kafka::ConsumedRecord> records = h.Records();
  v1::InteractionEvent e;
  ASSERT_TRUE(e.ParseFromString(records[0].value));
  e.mutable_occurred_at()->set_seconds(-(int64_t{1} << 62));
  records[0].value = e.SerializeAsString();
  EXPECT_EQ(engine_.Decode(records[0]).status().code(), absl::StatusCode::kInvalidArgument);
  v1::OverrideRecord o;
  o.set_account_id("acct-far-past");
  o.mutable_recorded_at()->set_seconds(int64_t{1} << 62);
  EXPECT_EQ(engine_.Decode({"overrides", 0, 0, "acct-far-past", o.SerializeAsString(), {}, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  Runner runner(&engine_);
  std::vector<std::string> errors;
  runner.Feed(records, &errors);
  EXPECT_EQ(errors.size(), 1u);
  EXPECT_FALSE(runner.state("acct-far-past").has_value());
}

// Found by tests/fuzz:health_engine_fuzz: a stored state whose times lie far before
// year 1 (corrupt, yet readable) was ticked at such a time, and the day arithmetic of
// the evaluation overflowed. Days are clamped to what a Timestamp can name.
TEST_F(HealthEngineTest, AStoredStateDatedFarBeforeYear1IsTickedWithoutOverflow) {
  healthscore::HealthState corrupt;
  corrupt.set_account_id("acct-corrupt");
  corrupt.set_evaluated_at_ms(-(int64_t{1} << 62));
  corrupt.mutable_activity()->set_events(1);
  corrupt.mutable_activity()->set_last_event_at(-(int64_t{1} << 52));
  corrupt.mutable_activity()->set_last_usage_day(INT32_MIN + 1);
  Runner runner(&engine_);
  runner.Store("acct-corrupt", corrupt.SerializeAsString());
  History h("acct-corrupt");
  h.Usage(0, 10);
  const stream::FoldResult r = runner.Feed(h.Records());
  EXPECT_GT(r.ticks, 0);
  ASSERT_TRUE(runner.state("acct-corrupt").has_value());
  EXPECT_EQ(runner.state("acct-corrupt")->evaluated_at_ms(), absl::ToUnixMillis(Day(0)));
}

}  // namespace
}  // namespace retention::health
