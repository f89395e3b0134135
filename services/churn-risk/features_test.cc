#include "services/churn-risk/features.h"

#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/activity/activity.h"

namespace retention::churn {
namespace {

constexpr int64_t kDay0 = 1'780'000'000;

v1::ChurnModel ShippedModel() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto model = LoadModel(std::string(srcdir ? srcdir : ".") + "/retention/services/churn-risk/models/churn-2026-11-a.textproto");
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

// Feeds events into one account's state, each at the next offset.
class Account {
 public:
  v1::InteractionEvent Event(int day) {
    v1::InteractionEvent e;
    e.set_event_id(absl::StrCat("e", offset_));
    e.set_account_id("acct");
    e.mutable_occurred_at()->set_seconds(kDay0 + day * 86400);
    return e;
  }
  // Folded at the clock of the latest event, as the loop's partition clock would be.
  void Apply(const v1::InteractionEvent& e) {
    ++offset_;
    clock = std::max(clock, absl::FromUnixSeconds(e.occurred_at().seconds()));
    ApplyEvent(e, clock, &state);
  }
  void Usage(int day, int active) {
    auto e = Event(day);
    e.mutable_product_usage()->set_active_users(active);
    e.mutable_product_usage()->set_licensed_seats(50);
    Apply(e);
  }
  void Stakeholder(int day, const std::string& contact, v1::StakeholderChange::Kind kind, bool champion,
                   v1::StakeholderChange::Role role = v1::StakeholderChange::DIRECTOR) {
    auto e = Event(day);
    e.set_contact_id(contact);
    e.mutable_stakeholder_change()->set_kind(kind);
    e.mutable_stakeholder_change()->set_role(role);
    e.mutable_stakeholder_change()->set_champion(champion);
    Apply(e);
  }
  void Health(double score, double change_30d) {
    v1::HealthSignal s;
    s.set_account_id("acct");
    s.mutable_health()->set_score(score);
    v1::Trend* t = s.mutable_health()->add_trends();
    t->set_window_days(30);
    t->set_has_data(true);
    t->set_change(change_30d);
    ApplyHealth(s, &state);
  }
  FeatureValues Features() const { return ComputeFeatures(state, activity::DayOf(clock)); }

  churnrisk::ChurnState state;
  absl::Time clock = absl::InfinitePast();

 private:
  int64_t offset_ = 0;
};

void HealthyBase(Account& a) {
  a.Stakeholder(0, "sponsor", v1::StakeholderChange::JOINED, false, v1::StakeholderChange::EXECUTIVE_SPONSOR);
  a.Stakeholder(0, "champ", v1::StakeholderChange::JOINED, true);
  a.Stakeholder(0, "admin", v1::StakeholderChange::JOINED, false, v1::StakeholderChange::ADMIN);
  auto renewal = a.Event(0);
  renewal.mutable_contract_billing()->set_kind(v1::ContractBilling::SIGNED);
  renewal.mutable_contract_billing()->mutable_renewal_date()->set_seconds(kDay0 + 330 * 86400);
  renewal.mutable_contract_billing()->set_arr(120'000);
  a.Apply(renewal);
  for (int day = 0; day < 60; ++day) a.Usage(day, 40);
}

TEST(ChurnFeatures, FallingUsageAChampionLeavingAndADetractorEndHighWithThoseDriversNamed) {
  const v1::ChurnModel model = ShippedModel();
  Account a;
  HealthyBase(a);
  a.Health(82, 2);
  const Prediction before = Predict(model, a.Features());
  EXPECT_EQ(before.tier, v1::LOW) << before.probability;

  auto detractor = a.Event(65);
  detractor.mutable_survey_response()->set_nps(2);
  a.Apply(detractor);
  a.Stakeholder(70, "champ", v1::StakeholderChange::LEFT_COMPANY, true);
  for (int day = 60; day < 90; ++day) a.Usage(day, 6);
  a.Health(31, -45);
  const FeatureValues f = a.Features();
  EXPECT_LT(f.at(v1::CHURN_FEATURE_USAGE_CHANGE_30D), -0.5);
  EXPECT_EQ(f.at(v1::CHURN_FEATURE_CHAMPION_LEFT_90D), 1);
  EXPECT_EQ(f.at(v1::CHURN_FEATURE_NPS_DETRACTOR), 1);
  const Prediction after = Predict(model, f);
  EXPECT_GE(after.tier, v1::HIGH) << after.probability;
  std::set<v1::ChurnFeature> named;
  for (const auto& d : TopDrivers(model, after)) named.insert(d.feature());
  EXPECT_EQ(named.size(), 3u);
  // The drivers are among what went wrong.
  const std::set<v1::ChurnFeature> causes = {v1::CHURN_FEATURE_HEALTH_SCORE, v1::CHURN_FEATURE_HEALTH_CHANGE_30D,
                                             v1::CHURN_FEATURE_USAGE_CHANGE_30D, v1::CHURN_FEATURE_CHAMPION_LEFT_90D,
                                             v1::CHURN_FEATURE_NPS_DETRACTOR, v1::CHURN_FEATURE_STUCK};
  for (auto feature : named) EXPECT_TRUE(causes.count(feature)) << v1::ChurnFeature_Name(feature);
}

TEST(ChurnFeatures, AHealthyAccountStaysLow) {
  const v1::ChurnModel model = ShippedModel();
  Account a;
  HealthyBase(a);
  auto promoter = a.Event(50);
  promoter.mutable_survey_response()->set_nps(10);
  a.Apply(promoter);
  for (int day = 60; day < 90; ++day) a.Usage(day, 42);
  a.Health(88, 3);
  const Prediction p = Predict(model, a.Features());
  EXPECT_EQ(p.tier, v1::LOW) << p.probability;
  EXPECT_TRUE(TopDrivers(model, p).empty() || TopDrivers(model, p)[0].contribution() < 0.5);
}

TEST(ChurnFeatures, StuckIsHighSwitchingCostWithLowSentiment) {
  Account a;
  HealthyBase(a);  // ARR 120,000: costly to switch
  EXPECT_EQ(a.Features().at(v1::CHURN_FEATURE_STUCK), 0) << "no sentiment yet";
  auto passive = a.Event(61);
  passive.mutable_survey_response()->set_nps(5);
  a.Apply(passive);
  EXPECT_EQ(a.Features().at(v1::CHURN_FEATURE_STUCK), 1) << "loyal on paper";
}

TEST(ChurnFeatures, CompetitorMentionsAndLossReasonsAreKept) {
  Account a;
  a.Usage(0, 5);
  auto lost = a.Event(10);
  lost.mutable_win_loss()->set_outcome(v1::WinLossOutcome::CHURNED);
  lost.mutable_win_loss()->set_competitor("Contoso");
  lost.mutable_win_loss()->add_reasons("price");
  a.Apply(lost);
  EXPECT_EQ(a.Features().at(v1::CHURN_FEATURE_COMPETITOR_MENTIONS), 1);
  EXPECT_TRUE(a.state.churned());
  ASSERT_EQ(a.state.loss_reasons_size(), 1);
  EXPECT_EQ(a.state.loss_reasons(0), "price");
  a.Usage(200, 5);  // 190 days on: out of the 180-day window
  EXPECT_EQ(a.Features().at(v1::CHURN_FEATURE_COMPETITOR_MENTIONS), 0);
}

TEST(ChurnFeatures, DaysSilentAndDaysToRenewalMoveWithTheClockAlone) {
  Account a;
  HealthyBase(a);  // usage to day 59, renewal on day 330
  const int32_t last = activity::DayOf(a.clock);
  EXPECT_EQ(ComputeFeatures(a.state, last).at(v1::CHURN_FEATURE_DAYS_SILENT), 0);
  const FeatureValues later = ComputeFeatures(a.state, last + 45);
  EXPECT_EQ(later.at(v1::CHURN_FEATURE_DAYS_SILENT), 45);
  EXPECT_EQ(later.at(v1::CHURN_FEATURE_DAYS_TO_RENEWAL), 330 - 59 - 45);
  EXPECT_EQ(later.at(v1::CHURN_FEATURE_USAGE_CHANGE_30D), -1) << "the last 30 days were quiet";
  EXPECT_EQ(ComputeFeatures(a.state, last + 15).at(v1::CHURN_FEATURE_USAGE_CHANGE_30D), -0.5)
      << "half of the last 30 days were quiet";
}

}  // namespace
}  // namespace retention::churn
