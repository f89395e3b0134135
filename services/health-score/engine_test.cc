#include "services/health-score/engine.h"

#include "services/health-score/memory_store.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "services/health-score/scorecard.h"
#include "services/health-score/state.h"

namespace retention::health {
namespace {

v1::ScorecardSet ShippedScorecards() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto set = LoadScorecardSet(std::string(srcdir ? srcdir : ".") + "/retention/services/health-score/scorecards/default.textproto");
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

constexpr int64_t kDay0 = 1'780'000'000;  // some day in 2026

// Builds a scripted history of one account, one record per event.
class History {
 public:
  explicit History(std::string account) : account_(std::move(account)) {}

  v1::InteractionEvent& Add(int day) {
    v1::InteractionEvent& e = events_.emplace_back();
    e.set_event_id(absl::StrCat(account_, "-", events_.size()));
    e.set_account_id(account_);
    e.mutable_occurred_at()->set_seconds(kDay0 + day * 86400);
    return e;
  }
  void Usage(int day, int active, std::vector<std::string> features = {"reports", "api", "alerts", "export"}) {
    auto* u = Add(day).mutable_product_usage();
    u->set_active_users(active);
    u->set_licensed_seats(50);
    for (auto& f : features) u->add_features_used(f);
  }
  std::vector<kafka::ConsumedRecord> Records(size_t from = 0) const {
    std::vector<kafka::ConsumedRecord> out;
    for (size_t i = from; i < events_.size(); ++i) {
      kafka::ConsumedRecord r;
      r.topic = "v1";
      r.partition = 0;
      r.offset = static_cast<int64_t>(i);
      r.key = account_;
      r.value = events_[i].SerializeAsString();
      out.push_back(std::move(r));
    }
    return out;
  }
  size_t size() const { return events_.size(); }

 private:
  std::string account_;
  std::vector<v1::InteractionEvent> events_;
};

void HealthyStart(History& h) {
  auto& sponsor_event = h.Add(0);
  sponsor_event.set_contact_id("sponsor");
  auto* sponsor = sponsor_event.mutable_stakeholder_change();
  sponsor->set_kind(v1::StakeholderChange::JOINED);
  sponsor->set_role(v1::StakeholderChange::EXECUTIVE_SPONSOR);
  auto& champion = h.Add(0);
  champion.set_contact_id("champ");
  champion.mutable_stakeholder_change()->set_kind(v1::StakeholderChange::JOINED);
  champion.mutable_stakeholder_change()->set_role(v1::StakeholderChange::DIRECTOR);
  champion.mutable_stakeholder_change()->set_champion(true);
  for (int day = 0; day < 60; ++day) h.Usage(day, 40);
  h.Add(30).mutable_survey_response()->set_nps(9);
  h.Add(40).mutable_engagement()->set_kind(v1::Engagement::QBR);
}

v1::HealthSignal LastSignal(const BatchResult& r) {
  v1::HealthSignal s;
  EXPECT_FALSE(r.signals.empty());
  if (!r.signals.empty()) {
    EXPECT_TRUE(s.ParseFromString(r.signals.back().value));
  }
  return s;
}

TEST(HealthEngine, AScriptedDeclineMovesScoreAndBandAndIsExplained) {
  InMemoryHealthStore store;
  HealthEngine engine({ShippedScorecards(), "health"}, &store);
  History h("acme");
  HealthyStart(h);
  auto start = engine.Process(h.Records(), absl::Now());
  ASSERT_TRUE(start.ok()) << start.status();
  ASSERT_TRUE(store.Save(start->states, start->summaries).ok());
  const v1::HealthSignal healthy = LastSignal(*start);
  EXPECT_EQ(healthy.health().band(), v1::GREEN) << healthy.health().DebugString();
  EXPECT_GE(healthy.health().score(), 80);
  EXPECT_EQ(healthy.health().segment(), "default");

  const size_t before = h.size();
  for (int day = 60; day < 90; ++day) h.Usage(day, 8, {"reports"});  // usage falls
  h.Add(70).mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
  h.Add(71).mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
  h.Add(75).mutable_survey_response()->set_nps(3);                   // a detractor
  auto& left = h.Add(80);                                            // the champion leaves
  left.set_contact_id("champ");
  left.mutable_stakeholder_change()->set_kind(v1::StakeholderChange::LEFT_COMPANY);
  left.mutable_stakeholder_change()->set_role(v1::StakeholderChange::DIRECTOR);
  auto decline = engine.Process(h.Records(before), absl::Now());
  ASSERT_TRUE(decline.ok());
  const v1::HealthSignal now = LastSignal(*decline);
  EXPECT_EQ(now.health().band(), v1::RED) << now.health().DebugString();
  EXPECT_LT(now.health().score(), 40);
  EXPECT_EQ(now.health().loyalty_stage(), v1::AVERSION);

  // Every component that worsened says so, with the measures behind it.
  ASSERT_TRUE(store.Save(decline->states, decline->summaries).ok());
  const v1::AccountHealth explained = Evaluate(engine.settings().scorecards, store.states["acme"], {}, absl::Now());
  std::map<v1::HealthComponent, const v1::ComponentScore*> by_component;
  for (const auto& c : explained.components()) by_component[c.component()] = &c;
  EXPECT_LT(by_component[v1::PRODUCT_ADOPTION]->score(), 40);
  // Two escalations score 50 (weight 2), no change in ticket volume 100 (weight 1).
  EXPECT_NEAR(by_component[v1::SUPPORT]->score(), (50.0 * 2 + 100) / 3, 1e-9);
  EXPECT_EQ(by_component[v1::SUPPORT]->measures(0).measure(), v1::ESCALATIONS_90D);
  EXPECT_EQ(by_component[v1::SUPPORT]->measures(0).value(), 2);
  EXPECT_LE(by_component[v1::SENTIMENT]->score(), 20);
  EXPECT_LE(by_component[v1::RELATIONSHIP]->score(), 50);
  for (const auto& m : by_component[v1::RELATIONSHIP]->measures()) {
    if (m.measure() == v1::CHAMPION_LEFT_90D) {
      EXPECT_EQ(m.value(), 1);
    }
    if (m.measure() == v1::CHAMPION_PRESENT) {
      EXPECT_EQ(m.value(), 0);
    }
  }
  // The 30-day trend sees the fall.
  for (const auto& t : explained.trends()) {
    if (t.window_days() == 30) {
      EXPECT_EQ(t.direction(), v1::DECLINING) << t.DebugString();
    }
  }
}

TEST(HealthEngine, SignalsOnlyOnMeaningfulChange) {
  InMemoryHealthStore store;
  HealthEngine engine({ShippedScorecards(), "health"}, &store);
  History h("steady");
  for (int day = 0; day < 40; ++day) h.Usage(day, 40);
  auto r = engine.Process(h.Records(), absl::Now());
  ASSERT_TRUE(r.ok());
  // The first score is news; forty days of the same usage are not 40 signals.
  EXPECT_GE(r->signals.size(), 1u);
  EXPECT_LE(r->signals.size(), 4u);
  EXPECT_EQ(r->applied, 40);
}

TEST(HealthEngine, ARedeliveredEventChangesNothing) {
  InMemoryHealthStore store;
  HealthEngine engine({ShippedScorecards(), "health"}, &store);
  History h("acme");
  HealthyStart(h);
  auto first = engine.Process(h.Records(), absl::Now());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store.Save(first->states, first->summaries).ok());
  const std::string saved = store.states["acme"].SerializeAsString();
  // After a crash the broker hands over the same records again.
  auto again = engine.Process(h.Records(), absl::Now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(again->redelivered, static_cast<int64_t>(h.size()));
  EXPECT_TRUE(again->signals.empty());
  EXPECT_TRUE(again->states.empty());
  EXPECT_EQ(store.states["acme"].SerializeAsString(), saved);
}

TEST(HealthEngine, SignalIdsDependOnTheTriggeringEventNotOnTheBatch) {
  History h("acme");
  HealthyStart(h);
  InMemoryHealthStore one_store, split_store;
  HealthEngine one({ShippedScorecards(), "health"}, &one_store);
  HealthEngine split({ShippedScorecards(), "health"}, &split_store);
  const auto records = h.Records();
  auto whole = one.Process(records, absl::Now());
  auto first = split.Process(std::vector<kafka::ConsumedRecord>(records.begin(), records.begin() + 10), absl::Now());
  ASSERT_TRUE(whole.ok() && first.ok());
  ASSERT_TRUE(split_store.Save(first->states, first->summaries).ok());
  auto rest = split.Process(std::vector<kafka::ConsumedRecord>(records.begin() + 10, records.end()), absl::Now());
  ASSERT_TRUE(rest.ok());
  std::vector<std::string> a, b;
  for (const auto& s : whole->signals) a.push_back(*kafka::FindHeader(s.headers, "signal-id"));
  for (const auto* part : {&first->signals, &rest->signals}) {
    for (const auto& s : *part) b.push_back(*kafka::FindHeader(s.headers, "signal-id"));
  }
  EXPECT_EQ(a, b);
}

TEST(HealthEngine, AnActiveOverrideShowsInTheExplanation) {
  InMemoryHealthStore store;
  HealthEngine engine({ShippedScorecards(), "health"}, &store);
  History h("acme");
  for (int day = 0; day < 5; ++day) h.Usage(day, 2, {"reports"});
  for (int i = 0; i < 3; ++i) h.Add(4).mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
  h.Add(4).mutable_survey_response()->set_nps(1);
  h.Add(4).mutable_contract_billing()->set_kind(v1::ContractBilling::PAYMENT_FAILED);
  v1::HealthOverride o;
  o.set_score(90);
  o.set_reason("renewal signed early");
  o.set_author("cs@example.com");
  o.mutable_expires_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(1)));
  store.overrides["acme"] = o;
  auto r = engine.Process(h.Records(), absl::Now());
  ASSERT_TRUE(r.ok());
  const v1::HealthSignal s = LastSignal(*r);
  EXPECT_EQ(s.health().score(), 90);
  EXPECT_LT(s.health().computed_score(), 40);
  EXPECT_EQ(s.health().override().reason(), "renewal signed early");
  EXPECT_EQ(s.health().band(), v1::GREEN);
}

TEST(AccountState, DaysOutsideTheWindowAreDropped) {
  healthscore::AccountState state;
  History h("acme");
  for (int day = 0; day < 200; day += 10) h.Usage(day, 5);
  for (const auto& r : h.Records()) {
    v1::InteractionEvent e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    ApplyEvent(e, 0, r.offset, &state);
  }
  ASSERT_FALSE(state.days().empty());
  EXPECT_GT(state.days(0).day(), DayOf(state.as_of_seconds()) - kDaysKept);
  EXPECT_LE(state.days_size(), kDaysKept);
}

}  // namespace
}  // namespace retention::health

namespace retention::health {
namespace {

TEST(HealthEngine, APromoterWhoWroteAReviewIsAChampionAndOneWhoDidNotIsNot) {
  InMemoryHealthStore store;
  HealthEngine engine({ShippedScorecards(), "health"}, &store);
  History h("acme");
  h.Add(1).mutable_survey_response()->set_nps(9);
  for (int day = 0; day <= 6; ++day) h.Usage(day, 42, {"reports", "api", "alerts"});
  auto r = engine.Process(h.Records(), absl::Now());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(store.Save(r->states, r->summaries).ok());
  EXPECT_EQ(r->summaries[0].loyalty_stage(), v1::LIKE) << r->summaries[0].loyalty_reason();
  const size_t before = h.size();
  auto* review = h.Add(7).mutable_advocacy_action();
  review->set_kind(v1::AdvocacyAction::REVIEW);
  review->set_rating(5);
  h.Add(8).mutable_advocacy_action()->set_kind(v1::AdvocacyAction::REFERENCE_CONSENT);  // consent is not advocacy
  h.Usage(8, 42, {"reports", "api", "alerts"});
  r = engine.Process(h.Records(before), absl::Now());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->summaries[0].loyalty_stage(), v1::CHAMPION) << r->summaries[0].loyalty_reason();
}

}  // namespace
}  // namespace retention::health
