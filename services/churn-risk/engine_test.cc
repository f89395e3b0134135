// churn-risk's engine through the stream runner, without servers.
#include "services/churn-risk/engine.h"

#include <cstdlib>
#include <functional>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/stream/local_runner.h"
#include "services/churn-risk/model.h"

namespace retention::churn {
namespace {

using Runner = stream::LocalRunner<ChurnEngine>;

v1::ChurnModel ShippedModel() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  auto model = LoadModel(std::string(srcdir ? srcdir : ".") + "/retention/services/churn-risk/models/churn-2026-11-a.textproto");
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

constexpr int64_t kDay0 = 1'780'000'000;
absl::Time Day(int d) { return absl::FromUnixSeconds(kDay0 + d * 86400); }

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
  void Health(int day, double score, int64_t sequence = 0) {
    v1::HealthSignal s;
    s.set_sequence(sequence);
    s.set_signal_id(absl::StrCat("h", health_offset_));
    s.set_account_id("acme");
    s.mutable_health()->set_score(score);
    s.mutable_health()->mutable_as_of()->set_seconds(kDay0 + day * 86400);
    records.push_back({"health", 0, health_offset_++, "acme", s.SerializeAsString(), {}, 0});
  }
  std::vector<kafka::ConsumedRecord> Take() { return std::exchange(records, {}); }
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

std::vector<v1::ChurnRiskSignal> Signals(const stream::FoldResult& r) {
  std::vector<v1::ChurnRiskSignal> out;
  for (const auto& record : r.signals) {
    v1::ChurnRiskSignal s;
    EXPECT_TRUE(s.ParseFromString(record.value));
    out.push_back(s);
  }
  return out;
}

void Steady(Stream& s, int days) {
  s.Event(0, [](auto& e) {
    e.mutable_contract_billing()->set_kind(v1::ContractBilling::SIGNED);
    e.mutable_contract_billing()->set_arr(200'000);
  });
  for (int day = 0; day < days; ++day) {
    s.Event(day, [](auto& e) {
      e.mutable_product_usage()->set_active_users(30);
      e.mutable_product_usage()->set_licensed_seats(50);
    });
  }
}

TEST(ChurnEngine, PublishesOnTierChangesNotOnNoise) {
  const ChurnEngine engine(Settings());
  Runner runner(&engine);
  Stream s;
  Steady(s, 40);
  s.Health(39, 85);
  const stream::FoldResult r = runner.Feed(s.Take());
  // 42 inputs of a steady account: the first risk, and few after it.
  EXPECT_GE(r.signals.size(), 1u);
  EXPECT_LE(r.signals.size(), 3u);
  EXPECT_EQ(r.applied, 42);
  const v1::ChurnRisk steady = Assess(engine.settings().model, *runner.state("acme"), Day(39));
  EXPECT_EQ(steady.tier(), v1::LOW);
  EXPECT_NEAR(steady.revenue_at_risk(), steady.probability() * 200'000, 1e-6);

  // Trouble: a detractor and a collapsing health score move the tier.
  s.Event(41, [](auto& e) { e.mutable_survey_response()->set_nps(1); });
  s.Health(41, 20);
  const auto signals = Signals(runner.Feed(s.Take()));
  ASSERT_FALSE(signals.empty());
  EXPECT_GE(signals.back().risk().tier(), v1::MEDIUM) << signals.back().risk().probability();
  EXPECT_EQ(signals.back().previous_tier(), v1::LOW);
  EXPECT_FALSE(signals.back().risk().drivers().empty());
  EXPECT_EQ(signals.back().risk().model_version(), "churn-2026-11-a");
}

TEST(ChurnEngine, WinLossOutcomesAreCountedForInsightsBySegmentAndMonth) {
  const ChurnEngine engine(Settings());
  Runner runner(&engine);
  Stream s;
  s.Event(0, [](auto& e) { e.mutable_account_profile()->set_plan("enterprise"); });
  s.Event(3, [](auto& e) {
    e.mutable_win_loss()->set_outcome(v1::WinLossOutcome::CHURNED);
    e.mutable_win_loss()->add_reasons("price");
    e.mutable_win_loss()->set_competitor("Contoso");
  });
  const stream::FoldResult r = runner.Feed(s.Take());
  const std::string group = InsightGroup("enterprise", absl::FormatTime("%Y-%m", Day(3), absl::UTCTimeZone()));
  std::map<std::string, int64_t> fields;
  for (const auto& c : r.counters) {
    EXPECT_EQ(c.group, group);
    fields[c.field] += c.delta;
  }
  EXPECT_EQ(fields, (std::map<std::string, int64_t>{
                        {"outcomes", 1}, {"churned", 1}, {"reason:price", 1}, {"competitor:Contoso", 1}}));
}

TEST(ChurnEngine, SilenceRaisesRiskWithNoEventAndSaysWhy) {
  const ChurnEngine engine(Settings());
  Runner runner(&engine);
  Stream s;
  Steady(s, 60);
  s.Health(59, 85);
  runner.Feed(s.Take());
  const v1::ChurnRisk active = Assess(engine.settings().model, *runner.state("acme"), Day(59));
  const auto signals = Signals(runner.AdvanceTo(Day(150)));
  const v1::ChurnRisk quiet = Assess(engine.settings().model, *runner.state("acme"), Day(150));
  EXPECT_GT(quiet.probability(), active.probability());
  bool days_silent = false;
  for (const auto& d : quiet.drivers()) days_silent |= d.feature() == v1::CHURN_FEATURE_DAYS_SILENT;
  EXPECT_TRUE(days_silent) << quiet.DebugString();
  ASSERT_FALSE(signals.empty());
  EXPECT_TRUE(signals.back().trigger_event_id().empty());
  EXPECT_NE(signals.back().trigger_reason().find("no activity for"), std::string::npos);
}

TEST(ChurnEngine, ALateRepeatOfAnOlderHealthSignalChangesNothing) {
  const ChurnEngine engine(Settings());
  Runner runner(&engine);
  Stream s;
  Steady(s, 30);
  s.Health(29, 85, 1);
  s.Health(29, 20, 2);
  runner.Feed(s.Take());
  const auto signals_before = runner.state("acme")->published_sequence();
  EXPECT_EQ(runner.state("acme")->health_score(), 20);
  // Signal 1 again, from a replica of health-score that lost the account meanwhile.
  s.Health(29, 85, 1);
  EXPECT_TRUE(Signals(runner.Feed(s.Take())).empty());
  EXPECT_EQ(runner.state("acme")->health_score(), 20) << "the newer signal stands";
  EXPECT_EQ(runner.state("acme")->published_sequence(), signals_before);
  // Each signal published carries the next sequence of the account.
  s.Health(29, 90, 3);
  const auto next = Signals(runner.Feed(s.Take()));
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].sequence(), signals_before + 1);
}

// An event or health signal dated outside the years 1-9999 (the protobuf encoding allows
// it) overflowed the activity's day arithmetic, as tests/fuzz found for health-score:
// such a record is not decoded, and the loop quarantines it.
TEST(ChurnEngine, AnInputDatedOutsideTheTimestampRangeIsNotDecoded) {
  const ChurnEngine engine(Settings());
  v1::InteractionEvent e;
  e.set_event_id("e1");
  e.set_account_id("a");
  e.mutable_occurred_at()->set_seconds(-(int64_t{1} << 62));
  e.mutable_product_usage()->set_active_users(3);
  EXPECT_EQ(engine.Decode({"v1", 0, 0, "a", e.SerializeAsString(), {}, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
  v1::HealthSignal h;
  h.set_account_id("a");
  h.mutable_health()->mutable_as_of()->set_nanos(-5);
  EXPECT_EQ(engine.Decode({"health", 0, 0, "a", h.SerializeAsString(), {}, 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace retention::churn
