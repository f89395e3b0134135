#include "services/churn-risk/engine.h"

#include "services/churn-risk/memory_store.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/model.h"

namespace retention::churn {
namespace {

v1::ChurnModel ShippedModel() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto model = LoadModel(std::string(srcdir ? srcdir : ".") + "/retention/services/churn-risk/models/churn-2026-11-a.textproto");
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

constexpr int64_t kDay0 = 1'780'000'000;

// Records of one account on the v1 and health topics.
class Stream {
 public:
  void Event(int day, const std::function<void(v1::InteractionEvent&)>& fill) {
    v1::InteractionEvent e;
    e.set_event_id(absl::StrCat("e", v1_offset_));
    e.set_account_id("acme");
    e.mutable_occurred_at()->set_seconds(kDay0 + day * 86400);
    fill(e);
    records.push_back({"v1", 0, v1_offset_++, "acme", e.SerializeAsString(), {}, 0});
  }
  void Health(double score) {
    v1::HealthSignal s;
    s.set_signal_id(absl::StrCat("h", health_offset_));
    s.set_account_id("acme");
    s.mutable_health()->set_score(score);
    records.push_back({"health", 0, health_offset_++, "acme", s.SerializeAsString(), {}, 0});
  }
  std::vector<kafka::ConsumedRecord> records;

 private:
  int64_t v1_offset_ = 0;
  int64_t health_offset_ = 0;
};

EngineSettings Settings() {
  EngineSettings s;
  s.model = ShippedModel();
  s.v1_topic = "v1";
  s.health_topic = "health";
  s.churn_topic = "churn";
  return s;
}

TEST(ChurnEngine, PublishesOnTierChangesNotOnNoise) {
  InMemoryChurnStore store;
  ChurnEngine engine(Settings(), &store);
  Stream s;
  s.Event(0, [](auto& e) {
    e.mutable_contract_billing()->set_kind(v1::ContractBilling::SIGNED);
    e.mutable_contract_billing()->set_arr(200'000);
  });
  for (int day = 0; day < 40; ++day) {
    s.Event(day, [](auto& e) {
      e.mutable_product_usage()->set_active_users(30);
      e.mutable_product_usage()->set_licensed_seats(50);
    });
  }
  s.Health(85);
  auto r = engine.Process(s.records, absl::Now());
  ASSERT_TRUE(r.ok()) << r.status();
  // 42 inputs of a steady account: the first risk, and few after it.
  EXPECT_GE(r->signals.size(), 1u);
  EXPECT_LE(r->signals.size(), 3u);
  EXPECT_EQ(r->applied, 42);
  ASSERT_EQ(r->risks.size(), 1u);
  EXPECT_EQ(r->risks[0].tier(), v1::LOW);
  EXPECT_NEAR(r->risks[0].revenue_at_risk(), r->risks[0].probability() * 200'000, 1e-6);
  ASSERT_TRUE(store.Save(r->states, r->risks, r->outcomes).ok());

  // Trouble: a detractor and a collapsing health score move the tier: one signal each.
  s.records.clear();  // the next batch; offsets go on
  s.Event(41, [](auto& e) { e.mutable_survey_response()->set_nps(1); });
  s.Health(20);
  auto t = engine.Process(s.records, absl::Now());
  ASSERT_TRUE(t.ok());
  ASSERT_FALSE(t->signals.empty());
  v1::ChurnRiskSignal last;
  ASSERT_TRUE(last.ParseFromString(t->signals.back().value));
  EXPECT_GE(last.risk().tier(), v1::MEDIUM) << last.risk().probability();
  EXPECT_EQ(last.previous_tier(), v1::LOW);
  EXPECT_FALSE(last.risk().drivers().empty());
  EXPECT_EQ(last.risk().model_version(), "churn-2026-11-a");
}

TEST(ChurnEngine, WinLossOutcomesAreReportedForInsightsBySegmentAndMonth) {
  InMemoryChurnStore store;
  ChurnEngine engine(Settings(), &store);
  Stream s;
  s.Event(0, [](auto& e) { e.mutable_account_profile()->set_plan("enterprise"); });
  s.Event(3, [](auto& e) {
    e.mutable_win_loss()->set_outcome(v1::WinLossOutcome::CHURNED);
    e.mutable_win_loss()->add_reasons("price");
    e.mutable_win_loss()->set_competitor("Contoso");
  });
  auto r = engine.Process(s.records, absl::Now());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->outcomes.size(), 1u);
  EXPECT_EQ(r->outcomes[0].segment, "enterprise");
  EXPECT_EQ(r->outcomes[0].period, absl::FormatTime("%Y-%m", absl::FromUnixSeconds(kDay0 + 3 * 86400), absl::UTCTimeZone()));
  EXPECT_EQ(r->outcomes[0].reasons, std::vector<std::string>{"price"});
  EXPECT_EQ(r->outcomes[0].competitor, "Contoso");
}

TEST(ChurnEngine, RedeliveredRecordsChangeNothing) {
  InMemoryChurnStore store;
  ChurnEngine engine(Settings(), &store);
  Stream s;
  s.Event(0, [](auto& e) { e.mutable_survey_response()->set_nps(3); });
  s.Health(40);
  auto first = engine.Process(s.records, absl::Now());
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(store.Save(first->states, first->risks, first->outcomes).ok());
  auto again = engine.Process(s.records, absl::Now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(again->redelivered, 2);
  EXPECT_TRUE(again->signals.empty());
}

}  // namespace
}  // namespace retention::churn
