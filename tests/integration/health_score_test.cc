// health-score end to end against the real Kafka broker and Redis.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "retention/v1/health.grpc.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "tests/support/account_script.h"
#include "tests/support/crash.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"
#include "tests/support/process.h"

namespace retention::testing {
namespace {

class HealthHarness {
 public:
  HealthHarness()
      : v1(UniqueName("v1")),
        health(UniqueName("health")),
        overrides(UniqueName("overrides")),
        quarantine(UniqueName("quarantine")),
        instance(UniqueName("health-score")) {
    CreateTopics({v1, health, overrides, quarantine});
  }

  std::unique_ptr<Process> Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {"--kafka_brokers=" + KafkaBrokers(),
                                      "--redis_addr=" + RedisAddr(),
                                      "--v1_topic=" + v1,
                                      "--health_topic=" + health,
                                      "--overrides_topic=" + overrides,
                                      "--quarantine_topic=" + quarantine,
                                      "--group_id=" + instance,
                                      "--instance_id=" + instance,
                                      "--state_prefix=" + instance,
                                      "--scorecard=" + Runfile("services/health-score/scorecards/default.textproto"),
                                      absl::StrCat("--grpc_port=", grpc_port),
                                      absl::StrCat("--metrics_port=", metrics_port)};
    if (std::none_of(extra.begin(), extra.end(), [](const std::string& f) { return f.rfind("--clock_", 0) == 0; })) {
      flags.push_back(ScriptClockFlag());
    }
    flags.insert(flags.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Process>(Runfile("services/health-score/health-score"), flags,
                                       absl::StrCat(std::getenv("TEST_TMPDIR"), "/", instance, ".log"));
    EXPECT_TRUE(p->WaitForLog("health-score ready", absl::Seconds(60))) << p->Log();
    return p;
  }

  std::unique_ptr<v1::HealthService::Stub> Stub() {
    return v1::HealthService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Get(const std::string& account, v1::AccountHealth* out) {
    v1::GetHealthRequest request;
    request.set_account_id(account);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return Stub()->GetHealth(&context, request, out);
  }

  const std::string v1, health, overrides, quarantine, instance;
  const int grpc_port = FreePort();
  const int metrics_port = FreePort();
};

// Each script ends with its latest day, so that an account is caught up when its
// health is as of the last event's time.
void Healthy(Script& s) {
  s.Stakeholder(0, "sponsor", v1::StakeholderChange::JOINED, v1::StakeholderChange::EXECUTIVE_SPONSOR, false);
  s.Stakeholder(0, "champ", v1::StakeholderChange::JOINED, v1::StakeholderChange::DIRECTOR, true);
  s.Add(30).mutable_survey_response()->set_nps(9);
  s.Add(40).mutable_engagement()->set_kind(v1::Engagement::QBR);
  for (int day = 0; day < 60; ++day) s.Usage(day, 40, {"reports", "api", "alerts", "export"});
}

void Decline(Script& s) {
  s.Add(70).mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
  s.Add(71).mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
  s.Add(75).mutable_survey_response()->set_nps(3);
  s.Stakeholder(80, "champ", v1::StakeholderChange::LEFT_COMPANY, v1::StakeholderChange::DIRECTOR, true);
  for (int day = 60; day < 90; ++day) s.Usage(day, 8, {"reports"});
}

std::vector<v1::HealthSignal> SignalsFor(const std::string& topic, const std::string& account, size_t min) {
  std::vector<v1::HealthSignal> out;
  WaitFor(
      [&] {
        out.clear();
        for (const auto& r : ReadTopic(topic, 0, absl::Seconds(10))) {
          v1::HealthSignal s;
          if (s.ParseFromString(r.value) && s.account_id() == account) out.push_back(s);
        }
        return out.size() >= min;
      },
      absl::Seconds(60), absl::Milliseconds(200));
  return out;
}

bool CaughtUp(HealthHarness& h, const Script& s) {
  v1::AccountHealth health;
  return h.Get(s.account(), &health).ok() && health.last_event_at().seconds() == s.last_seconds();
}

TEST(HealthScore, AScriptedDeclineMovesScoreAndBandAndGetHealthExplainsIt) {
  HealthHarness h;
  auto service = h.Start();
  Script s(UniqueName("acme"));
  Healthy(s);
  ProduceAll(h.v1, s.Records());
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(h, s); }, absl::Seconds(60))) << service->Log();
  v1::AccountHealth before;
  ASSERT_TRUE(h.Get(s.account(), &before).ok());
  EXPECT_EQ(before.band(), v1::GREEN) << before.DebugString();
  const size_t healthy_events = s.size();

  Decline(s);
  ProduceAll(h.v1, s.Records(healthy_events));
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(h, s); }, absl::Seconds(60))) << service->Log();
  v1::AccountHealth after;
  ASSERT_TRUE(h.Get(s.account(), &after).ok());
  EXPECT_EQ(after.band(), v1::RED) << after.DebugString();
  EXPECT_LT(after.score(), before.score() - 40);
  EXPECT_EQ(after.loyalty_stage(), v1::AVERSION);
  EXPECT_EQ(after.scorecard_version(), "2026-11-c");

  // The drop, component by component: adoption, support, sentiment and relationship fell.
  std::map<v1::HealthComponent, std::pair<double, double>> change;
  for (const auto& c : before.components()) change[c.component()].first = c.score();
  for (const auto& c : after.components()) change[c.component()].second = c.score();
  for (auto component : {v1::PRODUCT_ADOPTION, v1::SUPPORT, v1::SENTIMENT, v1::RELATIONSHIP}) {
    EXPECT_LT(change[component].second, change[component].first) << v1::HealthComponent_Name(component);
  }
  double contributions = 0;
  for (const auto& c : after.components()) contributions += c.contribution();
  EXPECT_NEAR(contributions, after.computed_score(), 1e-6) << "the explanation adds up to the score";

  // Signals on meaningful change only, in order, each pointing at the one before.
  const auto signals = SignalsFor(h.health, s.account(), 2);
  ASSERT_GE(signals.size(), 2u);
  EXPECT_LT(signals.size(), s.size() / 4) << "not one signal per event";
  EXPECT_EQ(signals.back().health().band(), v1::RED);
  for (size_t i = 1; i < signals.size(); ++i) {
    EXPECT_EQ(signals[i].previous_score(), signals[i - 1].health().score());
    EXPECT_NE(signals[i].signal_id(), signals[i - 1].signal_id());
  }
  EXPECT_EQ(service->Terminate(), 0) << service->Log();
}

TEST(HealthScore, WatchHealthStreamsMatchingSignals) {
  HealthHarness h;
  auto service = h.Start();
  auto stub = h.Stub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchHealthRequest request;
  request.mutable_filter()->add_bands(v1::RED);
  auto reader = stub->WatchHealth(&context, request);
  std::mutex mu;
  std::vector<v1::HealthSignal> seen;
  std::thread watcher([&] {
    v1::HealthSignal signal;
    while (reader->Read(&signal)) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(signal);
    }
  });
  // The call is open once the server has it, which the client cannot see: send a
  // declining account, and another if no signal came, until one is streamed.
  std::set<std::string> sent;
  bool streamed = false;
  for (int attempt = 0; attempt < 3 && !streamed; ++attempt) {
    Script s(UniqueName("watched"));
    Decline(s);  // straight into trouble
    ProduceAll(h.v1, s.Records());
    sent.insert(s.account());
    streamed = WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu);
      return !seen.empty();
    }, absl::Seconds(20));
  }
  context.TryCancel();
  watcher.join();
  ASSERT_TRUE(streamed) << service->Log();
  for (const v1::HealthSignal& signal : seen) {
    EXPECT_EQ(sent.count(signal.account_id()), 1u) << signal.account_id();
    EXPECT_EQ(signal.health().band(), v1::RED);
  }
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(HealthScore, OverridesShowInTheExplanationAndBadRequestsNameTheField) {
  HealthHarness h;
  auto service = h.Start();
  Script s(UniqueName("overridden"));
  Decline(s);
  ProduceAll(h.v1, s.Records());
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(h, s); }, absl::Seconds(60)));
  auto stub = h.Stub();

  v1::SetOverrideRequest set;
  set.set_account_id(s.account());
  set.set_score(80);
  set.set_author("cs-lead@example.com");
  set.mutable_expires_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(24)));
  v1::AccountHealth response;
  {
    grpc::ClientContext context;
    const grpc::Status status = stub->SetOverride(&context, set, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "reason is required");
  }
  set.set_reason("renewal signed early");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->SetOverride(&context, set, &response).ok());
  }
  v1::AccountHealth got;
  ASSERT_TRUE(h.Get(s.account(), &got).ok());
  EXPECT_EQ(got.score(), 80);
  EXPECT_EQ(got.band(), v1::GREEN);
  EXPECT_LT(got.computed_score(), 40);
  EXPECT_EQ(got.override().author(), "cs-lead@example.com");
  {
    v1::ClearOverrideRequest clear;
    clear.set_account_id(s.account());
    grpc::ClientContext context;
    ASSERT_TRUE(stub->ClearOverride(&context, clear, &response).ok());
    EXPECT_FALSE(response.has_override());
    EXPECT_EQ(response.score(), response.computed_score());
  }
  EXPECT_EQ(h.Get(UniqueName("never-seen"), &got).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(h.Get("", &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListAccountsRequest list;
  list.set_page_size(5000);
  v1::ListAccountsResponse page;
  grpc::ClientContext context;
  const grpc::Status bad_page = stub->ListAccounts(&context, list, &page);
  EXPECT_EQ(bad_page.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad_page.error_message().find("page_size"), std::string::npos);
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(HealthScore, ListAccountsFiltersSortsAndPages) {
  HealthHarness h;
  auto service = h.Start();
  std::vector<Script> scripts;
  for (int i = 0; i < 3; ++i) {
    scripts.emplace_back(UniqueName("listed-red"));
    Decline(scripts.back());
  }
  for (const auto& s : scripts) ProduceAll(h.v1, s.Records());
  for (const auto& s : scripts) ASSERT_TRUE(WaitFor([&] { return CaughtUp(h, s); }, absl::Seconds(60)));
  auto stub = h.Stub();
  // Other tests' accounts share this Redis: page through red ones and find ours.
  std::set<std::string> ours;
  for (const auto& s : scripts) ours.insert(s.account());
  std::set<std::string> found;
  v1::ListAccountsRequest request;
  request.mutable_filter()->add_bands(v1::RED);
  request.set_page_size(2);
  double last_score = -1;
  for (int pages = 0; pages < 1000; ++pages) {
    v1::ListAccountsResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub->ListAccounts(&context, request, &response).ok());
    EXPECT_LE(response.accounts_size(), 2);
    for (const auto& a : response.accounts()) {
      EXPECT_EQ(a.band(), v1::RED);
      EXPECT_GE(a.score(), last_score) << "ascending by score";
      last_score = a.score();
      if (ours.count(a.account_id())) found.insert(a.account_id());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(found, ours);
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(HealthScore, KilledMidStreamEndsInTheSameStateAsACalmRun) {
  // The same histories under two sets of account names: one run calm, one killed.
  std::mt19937 rng(7);
  std::vector<Script> calm, crashed;
  for (int a = 0; a < 12; ++a) {
    calm.emplace_back(UniqueName("calm"));
    crashed.emplace_back(UniqueName("crashed"));
    for (Script* s : {&calm.back(), &crashed.back()}) {
      std::mt19937 same(a);
      Healthy(*s);
      Decline(*s);
      for (int day = 90; day < 150; ++day) s->Usage(day, 10 + static_cast<int>(same() % 30), {"reports", "api"});
    }
  }
  HealthHarness calm_run;
  std::vector<v1::AccountHealth> expected(calm.size());
  {
    auto service = calm_run.Start();
    ProduceAll(calm_run.v1, InTimeOrder(calm));
    for (const auto& s : calm) ASSERT_TRUE(WaitFor([&] { return CaughtUp(calm_run, s); }, absl::Seconds(120)));
    for (size_t i = 0; i < calm.size(); ++i) ASSERT_TRUE(calm_run.Get(calm[i].account(), &expected[i]).ok());
    EXPECT_EQ(service->Terminate(), 0);
  }
  HealthHarness crash_run;
  // Each run gets new input before it is killed, so that every kill lands mid-stream.
  constexpr int kKills = 4;
  const auto history = InTimeOrder(crashed);
  const auto send_part = [&](int part) { ProduceAll(crash_run.v1, Part(history, part, kKills + 1)); };
  for (int kill = 0; kill < kKills; ++kill) {
    send_part(kill);
    auto service = crash_run.Start({"--max_batch=50"});
    ASSERT_TRUE(KillMidStream(*service, crash_run.metrics_port, "retention_health_inputs_applied_total", rng))
        << service->Log();
  }
  send_part(kKills);
  auto service = crash_run.Start();
  for (const auto& s : crashed) ASSERT_TRUE(WaitFor([&] { return CaughtUp(crash_run, s); }, absl::Seconds(120)));
  for (size_t i = 0; i < calm.size(); ++i) {
    v1::AccountHealth a = expected[i], b;
    ASSERT_TRUE(crash_run.Get(crashed[i].account(), &b).ok());
    a.clear_account_id();
    b.clear_account_id();
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << a.DebugString() << "\nvs\n" << b.DebugString();
  }
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(HealthScore, AMalformedScorecardStopsStartUpWithFileLineAndReason) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/bad.textproto");
  std::ofstream(path) << "version: \"x\"\nyellow_from: 40\ngreen_from: 70\nscorecards {\n  segment: \"default\"\n"
                         "  components { component: SENTIMENT weight: 0 measures { measure: NPS_LATEST weight: 1 "
                         "steps { from: 0 score: 50 } } }\n}\n";
  Process p(Runfile("services/health-score/health-score"),
            {"--scorecard=" + path, "--kafka_brokers=" + KafkaBrokers(), "--redis_addr=" + RedisAddr()},
            path + ".log");
  EXPECT_EQ(p.Wait(absl::Seconds(30)), 2);
  EXPECT_NE(p.Log().find(path + ":6: component SENTIMENT weight must be > 0"), std::string::npos) << p.Log();
}

}  // namespace
}  // namespace retention::testing
