// churn-risk end to end against the real Kafka broker and Redis. The test plays
// health-score's part by writing health signals to the health topic.
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "retention/v1/churn_risk.grpc.pb.h"
#include "retention/v1/health.pb.h"
#include "tests/support/account_script.h"
#include "tests/support/crash.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"
#include "tests/support/process.h"

namespace retention::testing {
namespace {

class ChurnHarness {
 public:
  ChurnHarness()
      : v1(UniqueName("v1")),
        health(UniqueName("health")),
        churn(UniqueName("churn")),
        quarantine(UniqueName("quarantine")),
        instance(UniqueName("churn-risk")) {
    CreateTopics({v1, health, churn, quarantine});
  }

  std::unique_ptr<Process> Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {"--kafka_brokers=" + KafkaBrokers(),
                                      "--redis_addr=" + RedisAddr(),
                                      "--v1_topic=" + v1,
                                      "--health_topic=" + health,
                                      "--churn_topic=" + churn,
                                      "--quarantine_topic=" + quarantine,
                                      "--group_id=" + instance,
                                      "--instance_id=" + instance,
                                      "--state_prefix=" + instance,
                                      "--model=" + Runfile("services/churn-risk/models/churn-2026-11-a.textproto"),
                                      absl::StrCat("--grpc_port=", grpc_port),
                                      absl::StrCat("--metrics_port=", metrics_port),
                                      ScriptClockFlag()};
    flags.insert(flags.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Process>(Runfile("services/churn-risk/churn-risk"), flags,
                                       absl::StrCat(std::getenv("TEST_TMPDIR"), "/", instance, ".log"));
    EXPECT_TRUE(p->WaitForLog("churn-risk ready", absl::Seconds(60))) << p->Log();
    return p;
  }

  grpc::Status Get(const std::string& account, v1::ChurnRisk* out) {
    auto stub = v1::ChurnRiskService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials()));
    v1::GetRiskRequest request;
    request.set_account_id(account);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->GetRisk(&context, request, out);
  }

  void Health(const std::string& account, double score, double change_30d) {
    v1::HealthSignal s;
    s.set_signal_id(UniqueName("hs"));
    s.set_account_id(account);
    s.mutable_health()->set_account_id(account);
    s.mutable_health()->set_score(score);
    v1::Trend* t = s.mutable_health()->add_trends();
    t->set_window_days(30);
    t->set_has_data(true);
    t->set_change(change_30d);
    ProduceAll(health, {{"", account, s.SerializeAsString(), {}}});
  }

  bool CaughtUp(const Script& s) {
    v1::ChurnRisk risk;
    return Get(s.account(), &risk).ok() && risk.last_event_at().seconds() == s.last_seconds();
  }

  const std::string v1, health, churn, quarantine, instance;
  const int grpc_port = FreePort();
  const int metrics_port = FreePort();
};

void Base(Script& s) {
  s.Stakeholder(0, "sponsor", v1::StakeholderChange::JOINED, v1::StakeholderChange::EXECUTIVE_SPONSOR, false);
  s.Stakeholder(0, "champ", v1::StakeholderChange::JOINED, v1::StakeholderChange::DIRECTOR, true);
  s.Stakeholder(0, "admin", v1::StakeholderChange::JOINED, v1::StakeholderChange::ADMIN, false);
  auto* contract = s.Add(0).mutable_contract_billing();
  contract->set_kind(v1::ContractBilling::SIGNED);
  contract->set_arr(120'000);
  contract->mutable_renewal_date()->set_seconds(kDay0 + 200 * 86400);
  for (int day = 0; day < 60; ++day) s.Usage(day, 40, {"reports", "api"});
}

void Failing(Script& s) {
  Base(s);
  s.Add(65).mutable_survey_response()->set_nps(2);
  s.Stakeholder(70, "champ", v1::StakeholderChange::LEFT_COMPANY, v1::StakeholderChange::DIRECTOR, true);
  for (int day = 60; day < 90; ++day) s.Usage(day, 6, {"reports"});
}

void Healthy(Script& s) {
  Base(s);
  s.Add(65).mutable_survey_response()->set_nps(10);
  for (int day = 60; day < 90; ++day) s.Usage(day, 42, {"reports", "api"});
}

const std::set<v1::ChurnFeature> kCauses = {v1::CHURN_FEATURE_HEALTH_SCORE,     v1::CHURN_FEATURE_HEALTH_CHANGE_30D,
                                            v1::CHURN_FEATURE_USAGE_CHANGE_30D, v1::CHURN_FEATURE_CHAMPION_LEFT_90D,
                                            v1::CHURN_FEATURE_NPS_DETRACTOR,    v1::CHURN_FEATURE_STUCK};

TEST(ChurnRisk, AFailingAccountEndsHighWithItsDriversNamedAndAHealthyOneStaysLow) {
  ChurnHarness h;
  auto service = h.Start();
  Script failing(UniqueName("failing")), healthy(UniqueName("healthy"));
  Failing(failing);
  Healthy(healthy);
  ProduceAll(h.v1, failing.Records());
  ProduceAll(h.v1, healthy.Records());
  h.Health(failing.account(), 31, -45);
  h.Health(healthy.account(), 88, 3);

  // Every event applied (the health signal may come before or after them) and HIGH.
  v1::ChurnRisk risk;
  ASSERT_TRUE(WaitFor(
      [&] {
        return h.Get(failing.account(), &risk).ok() && risk.last_event_at().seconds() == failing.last_seconds() &&
               risk.tier() >= v1::HIGH;
      },
      absl::Seconds(60)))
      << risk.DebugString() << service->Log();
  ASSERT_FALSE(risk.drivers().empty());
  for (const auto& d : risk.drivers()) EXPECT_TRUE(kCauses.count(d.feature())) << v1::ChurnFeature_Name(d.feature());
  EXPECT_EQ(risk.arr(), 120'000);
  EXPECT_NEAR(risk.revenue_at_risk(), risk.probability() * 120'000, 1e-6);
  EXPECT_EQ(risk.model_version(), "churn-2026-11-a");

  ASSERT_TRUE(WaitFor([&] { return h.CaughtUp(healthy); }, absl::Seconds(60)));
  v1::ChurnRisk low;
  ASSERT_TRUE(h.Get(healthy.account(), &low).ok());
  EXPECT_EQ(low.tier(), v1::LOW) << low.DebugString();

  // A subscriber sees one signal per meaningful change, in order per account.
  std::vector<v1::ChurnRiskSignal> signals;
  ASSERT_TRUE(WaitFor(
      [&] {
        signals.clear();
        for (const auto& r : ReadTopic(h.churn, 0, absl::Seconds(10))) {
          v1::ChurnRiskSignal s;
          if (s.ParseFromString(r.value) && s.account_id() == failing.account()) signals.push_back(s);
        }
        return !signals.empty() && signals.back().risk().tier() >= v1::HIGH;
      },
      absl::Seconds(60)));
  EXPECT_LT(signals.size(), failing.size() / 4) << "not one signal per event";
  for (size_t i = 1; i < signals.size(); ++i) {
    EXPECT_DOUBLE_EQ(signals[i].previous_probability(), signals[i - 1].risk().probability());
    EXPECT_EQ(signals[i].previous_tier(), signals[i - 1].risk().tier());
  }
  EXPECT_EQ(service->Terminate(), 0) << service->Log();
}

TEST(ChurnRisk, StreamRiskDeliversOnlyWhatTheFilterAsksFor) {
  ChurnHarness h;
  auto service = h.Start();
  auto stub = v1::ChurnRiskService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", h.grpc_port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::StreamRiskRequest request;
  request.mutable_filter()->set_min_tier(v1::HIGH);
  auto reader = stub->StreamRisk(&context, request);
  std::mutex mu;
  std::vector<v1::ChurnRiskSignal> seen;
  std::thread watcher([&] {
    v1::ChurnRiskSignal signal;
    while (reader->Read(&signal)) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(signal);
    }
  });
  // The call is open once the server has it, which the client cannot see: send a
  // failing account (and a calm one), and again if nothing came, until one is streamed.
  std::set<std::string> failing_accounts, calm_accounts;
  bool streamed = false;
  for (int attempt = 0; attempt < 3 && !streamed; ++attempt) {
    Script healthy(UniqueName("calm")), failing(UniqueName("failing"));
    Healthy(healthy);
    Failing(failing);
    ProduceAll(h.v1, healthy.Records());
    ProduceAll(h.v1, failing.Records());
    h.Health(failing.account(), 31, -45);
    failing_accounts.insert(failing.account());
    calm_accounts.insert(healthy.account());
    streamed = WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu);
      return !seen.empty();
    }, absl::Seconds(20));
  }
  context.TryCancel();
  watcher.join();
  ASSERT_TRUE(streamed) << service->Log();
  for (const auto& signal : seen) {
    EXPECT_EQ(failing_accounts.count(signal.account_id()), 1u) << "the healthy accounts never reach HIGH";
    EXPECT_GE(signal.risk().tier(), v1::HIGH);
  }
  EXPECT_EQ(service->Terminate(), 0) << service->Log();
}

TEST(ChurnRisk, ListAtRiskIsByRevenueAtRiskHighestFirstAndPaged) {
  ChurnHarness h;
  auto service = h.Start();
  std::vector<Script> scripts;
  for (int i = 0; i < 3; ++i) {
    scripts.emplace_back(UniqueName("listed"));
    Failing(scripts.back());
  }
  for (const auto& s : scripts) ProduceAll(h.v1, s.Records());
  for (const auto& s : scripts) ASSERT_TRUE(WaitFor([&] { return h.CaughtUp(s); }, absl::Seconds(60)));
  auto stub = v1::ChurnRiskService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", h.grpc_port), grpc::InsecureChannelCredentials()));
  v1::ListAtRiskRequest request;
  request.set_page_size(2);
  request.mutable_filter()->set_min_tier(v1::MEDIUM);
  std::set<std::string> ours, found;
  for (const auto& s : scripts) ours.insert(s.account());
  double last = 1e300;
  for (int pages = 0; pages < 1000; ++pages) {
    v1::ListAtRiskResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub->ListAtRisk(&context, request, &response).ok());
    EXPECT_LE(response.risks_size(), 2);
    for (const auto& r : response.risks()) {
      EXPECT_GE(r.tier(), v1::MEDIUM);
      EXPECT_LE(r.revenue_at_risk(), last) << "highest revenue at risk first";
      last = r.revenue_at_risk();
      if (ours.count(r.account_id())) found.insert(r.account_id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(found, ours);
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(ChurnRisk, BadRequestsNameTheFieldAndInsightsCountOutcomes) {
  ChurnHarness h;
  auto service = h.Start();
  Script s(UniqueName("lost"));
  s.Add(0).mutable_account_profile()->set_plan(UniqueName("plan"));
  auto* outcome = s.Add(3).mutable_win_loss();
  outcome->set_outcome(v1::WinLossOutcome::CHURNED);
  outcome->add_reasons("price");
  outcome->set_competitor("Contoso");
  ProduceAll(h.v1, s.Records());
  ASSERT_TRUE(WaitFor([&] { return h.CaughtUp(s); }, absl::Seconds(60)));

  auto stub = v1::ChurnRiskService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", h.grpc_port), grpc::InsecureChannelCredentials()));
  v1::ChurnRisk risk;
  EXPECT_EQ(h.Get("", &risk).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(h.Get(UniqueName("never"), &risk).error_code(), grpc::StatusCode::NOT_FOUND);
  {
    v1::GetDefectionInsightsRequest request;
    request.add_periods("October");
    v1::DefectionInsights response;
    grpc::ClientContext context;
    const grpc::Status status = stub->GetDefectionInsights(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("periods"), std::string::npos);
  }
  ASSERT_TRUE(h.Get(s.account(), &risk).ok());
  v1::GetDefectionInsightsRequest request;
  request.add_segments(risk.segment());
  v1::DefectionInsights response;
  grpc::ClientContext context;
  ASSERT_TRUE(stub->GetDefectionInsights(&context, request, &response).ok());
  ASSERT_EQ(response.insights_size(), 1);
  EXPECT_EQ(response.insights(0).churned(), 1);
  ASSERT_EQ(response.insights(0).reasons_size(), 1);
  EXPECT_EQ(response.insights(0).reasons(0).reason(), "price");
  EXPECT_EQ(response.insights(0).competitors(0).reason(), "Contoso");
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(ChurnRisk, KilledMidStreamEndsWithTheSameRisksAsACalmRun) {
  std::mt19937 rng(5);
  std::vector<Script> calm, crashed;
  for (int a = 0; a < 8; ++a) {
    calm.emplace_back(UniqueName("calm"));
    crashed.emplace_back(UniqueName("crashed"));
    for (Script* s : {&calm.back(), &crashed.back()}) (a % 2 ? Failing : Healthy)(*s);
  }
  ChurnHarness calm_run;
  std::vector<v1::ChurnRisk> expected(calm.size());
  {
    auto service = calm_run.Start();
    ProduceAll(calm_run.v1, InTimeOrder(calm));
    for (const auto& s : calm) ASSERT_TRUE(WaitFor([&] { return calm_run.CaughtUp(s); }, absl::Seconds(120)));
    for (size_t i = 0; i < calm.size(); ++i) ASSERT_TRUE(calm_run.Get(calm[i].account(), &expected[i]).ok());
    EXPECT_EQ(service->Terminate(), 0);
  }
  ChurnHarness crash_run;
  // Each run gets new input before it is killed, so that every kill lands mid-stream.
  constexpr int kKills = 3;
  const auto history = InTimeOrder(crashed);
  const auto send_part = [&](int part) { ProduceAll(crash_run.v1, Part(history, part, kKills + 1)); };
  for (int kill = 0; kill < kKills; ++kill) {
    send_part(kill);
    auto service = crash_run.Start({"--max_batch=50"});
    ASSERT_TRUE(KillMidStream(*service, crash_run.metrics_port, "retention_churn_inputs_applied_total", rng))
        << service->Log();
  }
  send_part(kKills);
  auto service = crash_run.Start();
  for (const auto& s : crashed) ASSERT_TRUE(WaitFor([&] { return crash_run.CaughtUp(s); }, absl::Seconds(120)));
  for (size_t i = 0; i < calm.size(); ++i) {
    v1::ChurnRisk a = expected[i], b;
    ASSERT_TRUE(crash_run.Get(crashed[i].account(), &b).ok());
    a.clear_account_id();
    b.clear_account_id();
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << a.DebugString() << "\nvs\n" << b.DebugString();
  }
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(ChurnRisk, AMalformedModelStopsStartUpWithFileLineAndReason) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/bad-model.textproto");
  std::ofstream(path) << "version: \"x\"\nintercept: -1\n"
                         "features { feature: CHURN_FEATURE_HEALTH_SCORE coefficient: -1 mean: 50 scale: -3 }\n"
                         "tiers { tier: LOW probability: 0 }\ntop_drivers: 3\n";
  Process p(Runfile("services/churn-risk/churn-risk"),
            {"--model=" + path, "--kafka_brokers=" + KafkaBrokers(), "--redis_addr=" + RedisAddr()}, path + ".log");
  EXPECT_EQ(p.Wait(absl::Seconds(30)), 2);
  EXPECT_NE(p.Log().find(path + ":3: feature CHURN_FEATURE_HEALTH_SCORE scale must be > 0"), std::string::npos)
      << p.Log();
}

}  // namespace
}  // namespace retention::testing
