// The reference rules and the stream engine, without servers.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/proto/time_util.h"
#include "libs/stream/local_runner.h"
#include "services/reference-pipeline/engine.h"
#include "services/reference-pipeline/policy.h"
#include "services/reference-pipeline/profile.h"
#include "services/reference-pipeline/requests.h"

namespace retention::reference {
namespace {

constexpr int64_t kDay0 = 1'790'000'000;  // in 2026
const absl::Time kNow = absl::FromUnixSeconds(kDay0 + 100 * 86400);

v1::ReferencePolicy Shipped() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto policy = LoadPolicy(std::string(srcdir ? srcdir : ".") +
                           "/retention/services/reference-pipeline/policies/default.textproto");
  EXPECT_TRUE(policy.ok()) << policy.status();
  return *policy;
}

// Records of accounts on the input topics.
class Stream {
 public:
  v1::InteractionEvent& Event(const std::string& account, int day) {
    v1::InteractionEvent& e = pending_events_.emplace_back();
    e.set_event_id(absl::StrCat(account, "-e", events_++));
    e.set_account_id(account);
    e.mutable_occurred_at()->set_seconds(kDay0 + day * 86400);
    return e;
  }
  void Health(const std::string& account, int day, v1::HealthBand band, v1::LoyaltyStage stage) {
    Flush();
    v1::HealthSignal s;
    s.set_signal_id(absl::StrCat("hs-", health_));
    s.set_account_id(account);
    s.mutable_health()->set_score(band == v1::GREEN ? 85 : 45);
    s.mutable_health()->set_band(band);
    s.mutable_health()->set_loyalty_stage(stage);
    s.mutable_health()->mutable_as_of()->set_seconds(kDay0 + day * 86400);
    records.push_back({"retention.health.v1", 0, health_++, account, s.SerializeAsString(), {}, 0});
  }
  void Churn(const std::string& account, int day, v1::RiskTier tier, int64_t sequence = 0) {
    Flush();
    v1::ChurnRiskSignal s;
    s.set_sequence(sequence);
    s.set_signal_id(absl::StrCat("cs-", churn_));
    s.set_account_id(account);
    s.mutable_risk()->set_tier(tier);
    s.mutable_risk()->set_probability(tier == v1::LOW ? 0.05 : 0.5);
    s.mutable_risk()->mutable_as_of()->set_seconds(kDay0 + day * 86400);
    records.push_back({"retention.churn-risk.v1", 0, churn_++, account, s.SerializeAsString(), {}, 0});
  }
  // A loyal, healthy account with a renewal: everything but advocacy and consent.
  void Loyal(const std::string& account) {
    auto& profile = *Event(account, 1).mutable_account_profile();
    profile.set_plan("business");
    profile.set_industry("fintech");
    profile.set_region("emea");
    profile.set_size("mid-market");
    profile.add_products("analytics");
    profile.add_products("api");
    Event(account, 2).mutable_value_delivery()->set_outcome("reduced-close-time");
    Health(account, 3, v1::GREEN, v1::LIKE);
    Churn(account, 3, v1::LOW);
  }
  void Consent(const std::string& account, const std::string& contact, int day, bool given = true) {
    auto& e = Event(account, day);
    e.set_contact_id(contact);
    e.mutable_advocacy_action()->set_kind(given ? v1::AdvocacyAction::REFERENCE_CONSENT : v1::AdvocacyAction::CONSENT_REVOKED);
  }
  void Action(const std::string& account, const std::string& contact, int day, v1::AdvocacyAction::Kind kind) {
    auto& e = Event(account, day);
    e.set_contact_id(contact);
    e.mutable_advocacy_action()->set_kind(kind);
  }
  void Flush() {
    for (auto& e : pending_events_) records.push_back({"retention.interactions.v1", 0, v1_++, e.account_id(), e.SerializeAsString(), {}, 0});
    pending_events_.clear();
  }
  std::vector<kafka::ConsumedRecord> Take() {
    Flush();
    return std::move(records);
  }
  // A proposed request command, as the gRPC API records it.
  void Propose(const std::string& account, int day, const std::string& request_id, const std::string& command,
               const std::function<void(v1::RequestRecord&)>& fill) {
    Flush();
    v1::RequestRecord r;
    r.set_kind(v1::RequestRecord::PROPOSED);
    r.set_account_id(account);
    r.set_request_id(request_id);
    r.set_command_id(command);
    r.mutable_recorded_at()->set_seconds(kDay0 + day * 86400);
    fill(r);
    records.push_back({"retention.advocacy.requests.v1", 0, requests_++, request_id, r.SerializeAsString(), {}, 0});
  }
  std::vector<kafka::ConsumedRecord> records;

 private:
  std::vector<v1::InteractionEvent> pending_events_;
  int events_ = 0;
  int64_t v1_ = 0, health_ = 0, churn_ = 0, requests_ = 0;
};

std::vector<v1::AdvocacySignal> Signals(const stream::FoldResult& r) {
  std::vector<v1::AdvocacySignal> out;
  for (const auto& rec : r.signals) {
    if (rec.topic == "retention.advocacy.v1") out.emplace_back().ParseFromString(rec.value);
  }
  return out;
}

std::vector<v1::RequestRecord> Decisions(const stream::FoldResult& r) {
  std::vector<v1::RequestRecord> out;
  for (const auto& rec : r.signals) {
    if (rec.topic == "retention.advocacy.requests.v1") out.emplace_back().ParseFromString(rec.value);
  }
  return out;
}

int Count(const std::vector<v1::AdvocacySignal>& signals, v1::AdvocacySignal::Kind kind) {
  return static_cast<int>(std::count_if(signals.begin(), signals.end(), [&](const auto& s) { return s.kind() == kind; }));
}

class ReferenceTest : public ::testing::Test {
 protected:
  stream::FoldResult Run(Stream& s) { return runner_.Feed(s.Take()); }
  v1::AdvocacyProfile Profile(const std::string& account, const std::vector<v1::ReferenceRequest>& requests = {},
                              absl::Time now = kNow) {
    return Evaluate(policy_, runner_.state(account)->profile(), requests, now);
  }
  v1::ReferencePolicy policy_ = Shipped();
  ReferenceEngine engine_{EngineSettings{policy_}};
  stream::LocalRunner<ReferenceEngine> runner_{&engine_};
};

TEST_F(ReferenceTest, ALoyalAccountWithoutAdvocacyIsToldApartFromAnAdvocate) {
  Stream s;
  s.Loyal("loyal");
  s.Consent("loyal", "l1", 4);
  s.Loyal("advocate");
  s.Consent("advocate", "a1", 4);
  s.Action("advocate", "a1", 5, v1::AdvocacyAction::CASE_STUDY);
  s.Action("advocate", "a1", 6, v1::AdvocacyAction::REVIEW);
  Run(s);
  const v1::AdvocacyProfile loyal = Profile("loyal");
  const v1::AdvocacyProfile advocate = Profile("advocate");
  EXPECT_FALSE(loyal.advocate());
  EXPECT_TRUE(advocate.advocate());
  EXPECT_EQ(advocate.actions_size(), 2);
  // Both may be asked (loyal with consent), but the advocate ranks first, and says why.
  ASSERT_TRUE(loyal.eligible()) << loyal.ShortDebugString();
  ASSERT_TRUE(advocate.eligible());
  v1::ReferenceCriteria want;
  want.set_industry("fintech");
  const auto a = Rank(policy_, want, advocate, kNow);
  const auto l = Rank(policy_, want, loyal, kNow);
  EXPECT_GT(a.score(), l.score());
  EXPECT_EQ(a.score() - l.score(), policy_.weights().history() * 2 / 5);
  EXPECT_EQ(l.explanation(1).detail(), "no advocacy actions yet");
  EXPECT_EQ(a.explanation(1).detail(), "2 advocacy actions");
  EXPECT_EQ(a.contact_id(), "a1");
}

TEST_F(ReferenceTest, EachConditionOfEligibilityIsNamed) {
  Stream s;
  auto& profile = *s.Event("x", 1).mutable_account_profile();
  profile.set_plan("starter");
  s.Health("x", 2, v1::YELLOW, v1::SATISFACTION);
  s.Churn("x", 2, v1::MEDIUM);
  Run(s);
  const v1::AdvocacyProfile p = Profile("x");
  EXPECT_FALSE(p.eligible());
  EXPECT_EQ(p.ineligible_reasons_size(), 5);
  EXPECT_EQ(p.ineligible_reasons(0), "health band YELLOW below GREEN");
  EXPECT_EQ(p.ineligible_reasons(1), "loyalty stage SATISFACTION");
  EXPECT_EQ(p.ineligible_reasons(2), "churn risk MEDIUM");
  EXPECT_EQ(p.ineligible_reasons(3), "no success milestone in 180 days");
  EXPECT_EQ(p.ineligible_reasons(4), "no consent on file");
}

v1::ReferenceRequest Asked(const std::string& account, absl::Time when, v1::ReferenceRequest::State state) {
  v1::CreateRequestRequest create;
  create.set_account_id(account);
  create.set_kind(v1::AdvocacyAction::REFERENCE_CALL);
  create.set_requested_by("seller");
  v1::ReferenceRequest r = NewRequest(create, "req-1", "a1", when);
  r.set_state(state);
  return r;
}

TEST_F(ReferenceTest, AnAccountAskedWithinTheCooldownIsNotEligible) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  Run(s);
  // Asked 29 days ago, completed: still cooling down; 31 days ago: fine.
  const auto recent = Profile("acme", {Asked("acme", kNow - absl::Hours(24 * 29), v1::ReferenceRequest::COMPLETED)});
  EXPECT_FALSE(recent.eligible());
  EXPECT_EQ(recent.ineligible_reasons(0), "asked 29 days ago (cooldown 30 days)");
  EXPECT_TRUE(Profile("acme", {Asked("acme", kNow - absl::Hours(24 * 31), v1::ReferenceRequest::COMPLETED)}).eligible());
  // An open request excludes however old it is.
  const auto open = Profile("acme", {Asked("acme", kNow - absl::Hours(24 * 60), v1::ReferenceRequest::IN_PROGRESS)});
  EXPECT_FALSE(open.eligible());
  EXPECT_EQ(open.ineligible_reasons(0), "open request req-1");
  // The yearly cap.
  std::vector<v1::ReferenceRequest> four;
  for (int i = 0; i < 4; ++i) four.push_back(Asked("acme", kNow - absl::Hours(24 * (40 + 70 * i)), v1::ReferenceRequest::COMPLETED));
  const auto capped = Profile("acme", four);
  EXPECT_FALSE(capped.eligible());
  EXPECT_EQ(capped.ineligible_reasons(0), "asked 4 times in a year (cap 4)");
}

TEST_F(ReferenceTest, ADeclinedRequestCountsTowardFatigueAndAcceptance) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  Run(s);
  const auto declined = Profile("acme", {Asked("acme", kNow - absl::Hours(24 * 10), v1::ReferenceRequest::DECLINED)});
  EXPECT_FALSE(declined.eligible());
  EXPECT_EQ(declined.asks_last_year(), 1);
  EXPECT_EQ(declined.requests_declined(), 1);
  EXPECT_EQ(declined.acceptance_rate(), 0);
  // A cancelled request was never put to the customer: no fatigue.
  EXPECT_TRUE(Profile("acme", {Asked("acme", kNow - absl::Hours(24 * 10), v1::ReferenceRequest::CANCELLED)}).eligible());
  // Later, the decline lowers the rank: acceptance 0 of 1 against "never asked" (half).
  const absl::Time later = kNow + absl::Hours(24 * 60);
  const auto after = Profile("acme", {Asked("acme", kNow - absl::Hours(24 * 10), v1::ReferenceRequest::DECLINED)}, later);
  ASSERT_TRUE(after.eligible());
  const auto part = Rank(policy_, {}, after, later).explanation(1);
  EXPECT_EQ(part.part(), "acceptance");
  EXPECT_EQ(part.points(), 0);
  EXPECT_EQ(part.detail(), "accepted 0 of 1 asks");
}

TEST_F(ReferenceTest, RevokedConsentExcludesAtOnce) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  auto first = Signals(Run(s));
  EXPECT_EQ(Count(first, v1::AdvocacySignal::ADVOCATE_ELIGIBLE), 1);
  s.Consent("acme", "a1", 5, /*given=*/false);
  auto second = Signals(Run(s));
  const auto p = Profile("acme");
  EXPECT_FALSE(p.eligible());
  EXPECT_EQ(p.ineligible_reasons(0), "no consent on file");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].kind(), v1::AdvocacySignal::NO_LONGER_ELIGIBLE);
  EXPECT_EQ(second[0].reason(), "no consent on file");
}

TEST_F(ReferenceTest, AnAdvocateWhoseRiskRisesIsWithdrawnAndFlagged) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  s.Action("acme", "a1", 5, v1::AdvocacyAction::REFERENCE_CALL);
  Run(s);
  ASSERT_TRUE(Profile("acme").eligible());
  s.Churn("acme", 6, v1::HIGH);
  const auto signals = Signals(Run(s));
  EXPECT_FALSE(Profile("acme").eligible());
  ASSERT_EQ(Count(signals, v1::AdvocacySignal::ADVOCATE_AT_RISK), 1);
  EXPECT_EQ(signals[0].reason(), "churn risk HIGH: stop asking, start saving");
  EXPECT_EQ(signals[0].previous_churn_tier(), v1::LOW);
  EXPECT_TRUE(signals[0].previous_eligible());
  EXPECT_EQ(signals[0].policy_version(), policy_.version());
  EXPECT_EQ(Count(signals, v1::AdvocacySignal::NO_LONGER_ELIGIBLE), 1);
  // Still high: no second alarm.
  s.Churn("acme", 7, v1::CRITICAL);
  EXPECT_EQ(Count(Signals(Run(s)), v1::AdvocacySignal::ADVOCATE_AT_RISK), 0);
}

TEST_F(ReferenceTest, ALateRepeatOfAnOlderRiskSignalChangesNothing) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  s.Churn("acme", 5, v1::LOW, 7);
  s.Churn("acme", 6, v1::HIGH, 8);
  Run(s);
  ASSERT_EQ(Profile("acme").churn_tier(), v1::HIGH);
  // Signal 7 again, from a replica of churn-risk that lost the account meanwhile.
  s.Churn("acme", 5, v1::LOW, 7);
  EXPECT_TRUE(Signals(Run(s)).empty());
  EXPECT_EQ(Profile("acme").churn_tier(), v1::HIGH) << "the newer signal stands";
  EXPECT_FALSE(Profile("acme").eligible());
}

TEST_F(ReferenceTest, ASignedContractWithGoodHealthYieldsOneAskAtSigning) {
  Stream s;
  s.Loyal("acme");
  s.Event("acme", 5).mutable_contract_billing()->set_kind(v1::ContractBilling::RENEWED);
  s.Event("acme", 5).mutable_contract_billing()->set_kind(v1::ContractBilling::PAYMENT_FAILED);
  auto records = s.Take();
  const auto signals = Signals(runner_.Feed(records));
  ASSERT_EQ(Count(signals, v1::AdvocacySignal::ASK_AT_SIGNING), 1);
  // The same history folded again (a replay, or a crash before the write): the same id.
  stream::LocalRunner<ReferenceEngine> again(&engine_);
  const auto repeated = Signals(again.Feed(records));
  ASSERT_EQ(Count(repeated, v1::AdvocacySignal::ASK_AT_SIGNING), 1);
  for (size_t i = 0; i < signals.size(); ++i) EXPECT_EQ(repeated[i].signal_id(), signals[i].signal_id());
  // Signed while RED: no ask.
  Stream red;
  red.Health("beta", 1, v1::RED, v1::DISLIKE);
  red.Event("beta", 2).mutable_contract_billing()->set_kind(v1::ContractBilling::SIGNED);
  EXPECT_EQ(Count(Signals(Run(red)), v1::AdvocacySignal::ASK_AT_SIGNING), 0);
}

TEST_F(ReferenceTest, RankingExplainsEveryPart) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  Run(s);
  v1::ReferenceCriteria want;
  want.set_industry("fintech");
  want.add_products("analytics");
  want.add_products("api");
  want.add_products("mobile");
  want.set_region("na");
  want.set_size("mid-market");
  want.set_use_case("reduced-close-time");
  const auto c = Rank(policy_, want, Profile("acme"), kNow);
  std::map<std::string, std::pair<double, std::string>> parts;
  for (const auto& p : c.explanation()) parts[p.part()] = {p.points(), p.detail()};
  EXPECT_EQ(parts["industry"], std::make_pair(20.0, std::string("industry fintech matches")));
  EXPECT_EQ(parts["products"], std::make_pair(10.0, std::string("2 of 3 products: analytics, api")));
  EXPECT_EQ(parts["region"], std::make_pair(0.0, std::string("region emea, not na")));
  EXPECT_EQ(parts["size"].first, 5);
  EXPECT_EQ(parts["use_case"], std::make_pair(15.0, std::string("confirmed value in reduced-close-time")));
  EXPECT_EQ(parts["acceptance"].first, 5);  // never asked: half
  EXPECT_EQ(parts["freshness"].first, 10);
  EXPECT_DOUBLE_EQ(c.score(), 20 + 10 + 0 + 5 + 15 + 0 + 5 + 10);
}

TEST_F(ReferenceTest, RequestsAreDecidedInOrderWithTheAccountsInputs) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  Run(s);
  const auto create = [](v1::RequestRecord& r) {
    r.mutable_create()->set_account_id("acme");
    r.mutable_create()->set_kind(v1::AdvocacyAction::REFERENCE_CALL);
    r.mutable_create()->set_requested_by("seller");
  };
  // Two sellers ask at once (through two replicas): the first wins, the second is
  // refused for the open request, whatever replica took either call.
  s.Propose("acme", 5, "req-1", "c1", create);
  s.Propose("acme", 5, "req-2", "c2", create);
  const stream::FoldResult r = Run(s);
  const auto decisions = Decisions(r);
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[0].kind(), v1::RequestRecord::ACCEPTED);
  EXPECT_EQ(decisions[0].request().state(), v1::ReferenceRequest::NEW);
  EXPECT_EQ(decisions[0].request().contact_id(), "a1");
  EXPECT_EQ(decisions[1].kind(), v1::RequestRecord::REFUSED);
  EXPECT_EQ(decisions[1].reason(), "account acme is not eligible: open request req-1; asked 0 days ago (cooldown 30 days)");
  EXPECT_EQ(decisions[1].code(), static_cast<int>(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(r.signals[0].partition, 0) << "decisions go to the partition of the command";
  const auto state = runner_.state("acme");
  ASSERT_EQ(state->requests_size(), 1);
  ASSERT_EQ(state->decisions_size(), 2);
  const auto signals = Signals(r);
  EXPECT_EQ(Count(signals, v1::AdvocacySignal::REQUEST_CHANGED), 1);
  EXPECT_EQ(Count(signals, v1::AdvocacySignal::NO_LONGER_ELIGIBLE), 1) << "an open request";
  // Moves along the life cycle; a move it does not allow is refused with the reason.
  const auto move = [](v1::ReferenceRequest::State to) {
    return [to](v1::RequestRecord& r) {
      r.mutable_update()->set_request_id("req-1");
      r.mutable_update()->set_state(to);
      r.mutable_update()->set_by("owner");
    };
  };
  s.Propose("acme", 6, "req-1", "c3", move(v1::ReferenceRequest::IN_PROGRESS));
  s.Propose("acme", 6, "req-1", "c4", move(v1::ReferenceRequest::COMPLETED));
  s.Propose("acme", 6, "req-1", "c5", move(v1::ReferenceRequest::APPROVED));
  s.Propose("acme", 7, "req-1", "c6", move(v1::ReferenceRequest::COMPLETED));
  const auto moved = Decisions(Run(s));
  ASSERT_EQ(moved.size(), 4u);
  EXPECT_EQ(moved[0].kind(), v1::RequestRecord::ACCEPTED);
  EXPECT_EQ(moved[1].kind(), v1::RequestRecord::REFUSED);
  EXPECT_EQ(moved[1].reason(), "request req-1 is IN_PROGRESS; it cannot become COMPLETED");
  EXPECT_EQ(moved[3].request().state(), v1::ReferenceRequest::COMPLETED);
  EXPECT_EQ(moved[3].request().history_size(), 4);
}

TEST_F(ReferenceTest, TheEndOfACooldownPublishesEligibilityAtItsTime) {
  Stream s;
  s.Loyal("acme");
  s.Consent("acme", "a1", 4);
  s.Propose("acme", 5, "req-1", "c1", [](v1::RequestRecord& r) {
    r.mutable_create()->set_account_id("acme");
    r.mutable_create()->set_kind(v1::AdvocacyAction::REVIEW);
    r.mutable_create()->set_requested_by("seller");
  });
  s.Propose("acme", 6, "req-1", "c2", [](v1::RequestRecord& r) {
    r.mutable_update()->set_request_id("req-1");
    r.mutable_update()->set_state(v1::ReferenceRequest::CANCELLED);
    r.mutable_update()->set_by("seller");
  });
  Run(s);
  ASSERT_TRUE(runner_.state("acme")->eligible()) << "a cancelled request is no ask";
  s.Propose("acme", 7, "req-2", "c3", [](v1::RequestRecord& r) {
    r.mutable_create()->set_account_id("acme");
    r.mutable_create()->set_kind(v1::AdvocacyAction::REVIEW);
    r.mutable_create()->set_requested_by("seller");
  });
  s.Propose("acme", 8, "req-2", "c4", [](v1::RequestRecord& r) {
    r.mutable_update()->set_request_id("req-2");
    r.mutable_update()->set_state(v1::ReferenceRequest::IN_PROGRESS);
    r.mutable_update()->set_by("owner");
  });
  s.Propose("acme", 9, "req-2", "c5", [](v1::RequestRecord& r) {
    r.mutable_update()->set_request_id("req-2");
    r.mutable_update()->set_state(v1::ReferenceRequest::DECLINED);
    r.mutable_update()->set_by("owner");
  });
  Run(s);
  EXPECT_FALSE(runner_.state("acme")->eligible()) << "asked 2 days ago";
  // No event comes; the clock passes the end of the 30-day cooldown (asked on day 7).
  const auto signals = Signals(runner_.AdvanceTo(absl::FromUnixSeconds(kDay0 + 40 * 86400)));
  ASSERT_EQ(Count(signals, v1::AdvocacySignal::ADVOCATE_ELIGIBLE), 1);
  const v1::AdvocacySignal& eligible = signals.back();
  EXPECT_EQ(eligible.triggered_at().seconds(), kDay0 + 7 * 86400 + 30 * 86400 + 1);
  EXPECT_NE(eligible.reason().find("cooldown 30 days"), std::string::npos) << eligible.reason();
  EXPECT_TRUE(eligible.profile().eligible());
}

TEST(RequestLifeCycleTest, MovesAlongAndRefusesTheRest) {
  v1::CreateRequestRequest create;
  create.set_account_id("acme");
  create.set_kind(v1::AdvocacyAction::CASE_STUDY);
  create.set_requested_by("ana");
  ASSERT_TRUE(CheckCreate(create).ok());
  v1::ReferenceRequest r = NewRequest(create, "req-1", "c1", kNow);
  const auto move = [&](v1::ReferenceRequest::State to) {
    v1::UpdateRequestRequest u;
    u.set_request_id("req-1");
    u.set_state(to);
    u.set_by("owner");
    return Transition(r, u, kNow + absl::Hours(1));
  };
  auto skipped = move(v1::ReferenceRequest::APPROVED);
  ASSERT_FALSE(skipped.ok());
  EXPECT_EQ(skipped.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(skipped.status().message(), "request req-1 is NEW; it cannot become APPROVED");
  for (auto to : {v1::ReferenceRequest::IN_PROGRESS, v1::ReferenceRequest::APPROVED, v1::ReferenceRequest::COMPLETED}) {
    auto moved = move(to);
    ASSERT_TRUE(moved.ok()) << moved.status();
    r = *moved;
  }
  EXPECT_EQ(r.history_size(), 4);
  EXPECT_FALSE(move(v1::ReferenceRequest::CANCELLED).ok());  // final
  v1::CreateRequestRequest bad = create;
  bad.set_kind(v1::AdvocacyAction::REFERENCE_CONSENT);
  EXPECT_EQ(CheckCreate(bad).message(), "kind must be REVIEW, REFERENCE_CALL, CASE_STUDY, REFERRAL or PUBLIC_MENTION");
  bad = create;
  bad.clear_requested_by();
  EXPECT_EQ(CheckCreate(bad).message(), "requested_by is required");
}

// Inputs dated outside the years 1-9999 (the protobuf encoding allows it) are not
// decoded, as for health-score and churn-risk (found by tests/fuzz): the loop
// quarantines them instead of moving the partition's clock to them.
TEST_F(ReferenceTest, AnInputDatedOutsideTheTimestampRangeIsNotDecoded) {
  v1::InteractionEvent e;
  e.set_event_id("e1");
  e.set_account_id("a");
  e.mutable_occurred_at()->set_seconds(int64_t{1} << 62);
  EXPECT_EQ(engine_.Decode({engine_.settings().v1_topic, 0, 0, "a", e.SerializeAsString(), {}, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::RequestRecord r;
  r.set_account_id("a");
  r.set_request_id("req-1");
  r.mutable_recorded_at()->set_seconds(-(int64_t{1} << 62));
  EXPECT_EQ(
      engine_.Decode({engine_.settings().requests_topic, 0, 0, "req-1", r.SerializeAsString(), {}, 0}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace retention::reference
