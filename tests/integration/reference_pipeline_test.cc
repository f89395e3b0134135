// reference-pipeline end to end against the real Kafka broker and Redis. The test plays
// health-score's and churn-risk's parts by writing their signals to their topics.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "retention/v1/advocacy.grpc.pb.h"
#include "tests/support/account_script.h"
#include "tests/support/crash.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"
#include "tests/support/process.h"

namespace retention::testing {
namespace {

class ReferenceHarness {
 public:
  ReferenceHarness()
      : v1(UniqueName("v1")),
        health(UniqueName("health")),
        churn(UniqueName("churn")),
        advocacy(UniqueName("advocacy")),
        requests(UniqueName("requests")),
        quarantine(UniqueName("quarantine")),
        instance(UniqueName("reference")),
        industry(UniqueName("industry")) {
    CreateTopics({v1, health, churn, advocacy, requests, quarantine});
  }

  std::unique_ptr<Process> Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {"--kafka_brokers=" + KafkaBrokers(),
                                      "--redis_addr=" + RedisAddr(),
                                      "--v1_topic=" + v1,
                                      "--health_topic=" + health,
                                      "--churn_topic=" + churn,
                                      "--advocacy_topic=" + advocacy,
                                      "--requests_topic=" + requests,
                                      "--quarantine_topic=" + quarantine,
                                      "--group_id=" + instance,
                                      "--instance_id=" + instance,
                                      "--state_prefix=" + instance,
                                      "--policy=" + Runfile("services/reference-pipeline/policies/default.textproto"),
                                      absl::StrCat("--grpc_port=", grpc_port),
                                      absl::StrCat("--metrics_port=", metrics_port)};
    if (std::none_of(extra.begin(), extra.end(), [](const std::string& f) { return f.rfind("--clock_", 0) == 0; })) {
      flags.push_back(ScriptClockFlag());
    }
    flags.insert(flags.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Process>(Runfile("services/reference-pipeline/reference-pipeline"), flags,
                                       absl::StrCat(std::getenv("TEST_TMPDIR"), "/", instance, ".log"));
    EXPECT_TRUE(p->WaitForLog("reference-pipeline ready", absl::Seconds(60))) << p->Log();
    return p;
  }

  std::unique_ptr<v1::ReferencePipelineService::Stub> Stub() {
    return v1::ReferencePipelineService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials()));
  }
  static void Deadline(grpc::ClientContext& c) {
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  grpc::Status Profile(const std::string& account, v1::AdvocacyProfile* out) {
    grpc::ClientContext c;
    Deadline(c);
    v1::GetAdvocacyProfileRequest r;
    r.set_account_id(account);
    return Stub()->GetAdvocacyProfile(&c, r, out);
  }

  // The candidates of this test's accounts (other tests' accounts may be eligible too).
  std::vector<v1::ReferenceCandidate> Find(const std::string& prefix) {
    grpc::ClientContext c;
    Deadline(c);
    v1::FindReferencesRequest r;
    r.mutable_criteria()->set_industry(industry);
    r.set_limit(100);
    v1::FindReferencesResponse response;
    EXPECT_TRUE(Stub()->FindReferences(&c, r, &response).ok());
    std::vector<v1::ReferenceCandidate> out;
    for (const auto& cand : response.candidates()) {
      if (absl::StartsWith(cand.profile().account_id(), prefix)) out.push_back(cand);
    }
    return out;
  }

  void Health(const std::string& account, int day, v1::HealthBand band, v1::LoyaltyStage stage) {
    v1::HealthSignal s;
    s.set_signal_id(UniqueName("hs"));
    s.set_account_id(account);
    s.mutable_health()->set_account_id(account);
    s.mutable_health()->set_score(band == v1::GREEN ? 86 : 50);
    s.mutable_health()->set_band(band);
    s.mutable_health()->set_loyalty_stage(stage);
    s.mutable_health()->mutable_as_of()->set_seconds(kDay0 + day * 86400);
    ProduceAll(health, {{"", account, s.SerializeAsString(), {}}});
  }
  void Churn(const std::string& account, int day, v1::RiskTier tier) {
    v1::ChurnRiskSignal s;
    s.set_signal_id(UniqueName("cs"));
    s.set_account_id(account);
    s.mutable_risk()->set_account_id(account);
    s.mutable_risk()->set_tier(tier);
    s.mutable_risk()->set_probability(tier == v1::LOW ? 0.04 : 0.55);
    s.mutable_risk()->mutable_as_of()->set_seconds(kDay0 + day * 86400);
    ProduceAll(churn, {{"", account, s.SerializeAsString(), {}}});
  }

  // A loyal customer with a confirmed outcome and a consenting contact.
  void Loyal(Script& s, bool advocate) {
    ConsentingCustomer(s, industry, "emea", "analytics");
    if (advocate) {
      for (auto kind : {v1::AdvocacyAction::REVIEW, v1::AdvocacyAction::CASE_STUDY, v1::AdvocacyAction::REFERENCE_CALL}) {
        auto& e = s.Add(4);
        e.set_contact_id("champ");
        e.mutable_advocacy_action()->set_kind(kind);
      }
    }
  }

  // Caught up: the band and tier of the last signals, and the script's last event
  // (whose time the signals' as_of stays below).
  bool Shows(const Script& s, v1::HealthBand band, v1::RiskTier tier) {
    v1::AdvocacyProfile p;
    return Profile(s.account(), &p).ok() && p.band() == band && p.churn_tier() == tier &&
           p.as_of().seconds() >= s.last_seconds();
  }

  std::vector<v1::AdvocacySignal> Signals(const std::string& account, size_t at_least) {
    std::vector<v1::AdvocacySignal> out;
    for (const auto& r : ReadTopic(advocacy, at_least, absl::Seconds(30))) {
      v1::AdvocacySignal s;
      if (s.ParseFromString(r.value) && s.account_id() == account) out.push_back(s);
    }
    return out;
  }

  const std::string v1, health, churn, advocacy, requests, quarantine, instance, industry;
  const int grpc_port = FreePort();
  const int metrics_port = FreePort();
};

int Count(const std::vector<v1::AdvocacySignal>& signals, v1::AdvocacySignal::Kind kind) {
  return static_cast<int>(std::count_if(signals.begin(), signals.end(), [&](const auto& s) { return s.kind() == kind; }));
}

TEST(ReferencePipeline, AdvocatesAreFoundAskedAndProtectedFromFatigueAndRisk) {
  ReferenceHarness h;
  auto service = h.Start();
  const std::string prefix = UniqueName("ref");
  Script advocate(prefix + "-advocate"), loyal(prefix + "-loyal");
  h.Loyal(advocate, true);
  h.Loyal(loyal, false);
  ProduceAll(h.v1, advocate.Records());
  ProduceAll(h.v1, loyal.Records());
  for (const Script* s : {&advocate, &loyal}) {
    h.Health(s->account(), 1, v1::GREEN, s == &advocate ? v1::CHAMPION : v1::LIKE);
    h.Churn(s->account(), 1, v1::LOW);
  }
  for (const Script* s : {&advocate, &loyal}) {
    ASSERT_TRUE(WaitFor([&] { return h.Shows(*s, v1::GREEN, v1::LOW); }, absl::Seconds(60)));
  }

  // A loyal account without advocacy is told apart from the advocate, who ranks first.
  v1::AdvocacyProfile a, l;
  ASSERT_TRUE(h.Profile(advocate.account(), &a).ok());
  ASSERT_TRUE(h.Profile(loyal.account(), &l).ok());
  EXPECT_TRUE(a.advocate());
  EXPECT_FALSE(l.advocate());
  EXPECT_TRUE(a.eligible() && l.eligible()) << a.ShortDebugString() << "\n" << l.ShortDebugString();
  auto found = h.Find(prefix);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].profile().account_id(), advocate.account());
  EXPECT_GT(found[0].score(), found[1].score());
  EXPECT_EQ(found[0].explanation(0).detail(), "industry " + h.industry + " matches");
  EXPECT_EQ(found[0].contact_id(), "champ");

  // Asked: the request's life cycle, each step on the advocacy topic.
  auto stub = h.Stub();
  v1::ReferenceRequest request;
  {
    grpc::ClientContext c;
    ReferenceHarness::Deadline(c);
    v1::CreateRequestRequest create;
    create.set_account_id(advocate.account());
    create.set_kind(v1::AdvocacyAction::REFERENCE_CALL);
    create.set_requested_by("seller@example.test");
    ASSERT_TRUE(stub->CreateRequest(&c, create, &request).ok());
    EXPECT_EQ(request.state(), v1::ReferenceRequest::NEW);
    EXPECT_EQ(request.contact_id(), "champ");
  }
  // Within the cooldown (and with an open request) the advocate is not returned.
  found = h.Find(prefix);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].profile().account_id(), loyal.account());
  {
    grpc::ClientContext c;
    ReferenceHarness::Deadline(c);
    v1::CreateRequestRequest again;
    again.set_account_id(advocate.account());
    again.set_kind(v1::AdvocacyAction::REVIEW);
    again.set_requested_by("other-seller");
    v1::ReferenceRequest refused;
    const grpc::Status s = stub->CreateRequest(&c, again, &refused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(s.error_message().find("open request " + request.request_id()), std::string::npos) << s.error_message();
  }
  for (auto to : {v1::ReferenceRequest::IN_PROGRESS, v1::ReferenceRequest::DECLINED}) {
    grpc::ClientContext c;
    ReferenceHarness::Deadline(c);
    v1::UpdateRequestRequest update;
    update.set_request_id(request.request_id());
    update.set_state(to);
    update.set_by("account-owner");
    ASSERT_TRUE(stub->UpdateRequest(&c, update, &request).ok());
  }
  {
    grpc::ClientContext c;
    ReferenceHarness::Deadline(c);
    v1::UpdateRequestRequest reopen;
    reopen.set_request_id(request.request_id());
    reopen.set_state(v1::ReferenceRequest::APPROVED);
    reopen.set_by("account-owner");
    v1::ReferenceRequest ignored;
    EXPECT_EQ(stub->UpdateRequest(&c, reopen, &ignored).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  }
  // The decline counts toward fatigue and acceptance.
  ASSERT_TRUE(h.Profile(advocate.account(), &a).ok());
  EXPECT_EQ(a.requests_declined(), 1);
  EXPECT_EQ(a.asks_last_year(), 1);
  EXPECT_FALSE(a.eligible());
  EXPECT_EQ(h.Find(prefix).size(), 1u);
  const auto changes = h.Signals(advocate.account(), 3);
  EXPECT_EQ(Count(changes, v1::AdvocacySignal::REQUEST_CHANGED), 3);

  // The loyal account's risk rises: withdrawn at once, and flagged.
  h.Churn(loyal.account(), 6, v1::HIGH);
  ASSERT_TRUE(WaitFor([&] { return h.Shows(loyal, v1::GREEN, v1::HIGH); }, absl::Seconds(60)));
  EXPECT_TRUE(h.Find(prefix).empty());
  std::vector<v1::AdvocacySignal> at_risk;
  ASSERT_TRUE(WaitFor([&] {
    at_risk = h.Signals(loyal.account(), 1);
    return Count(at_risk, v1::AdvocacySignal::ADVOCATE_AT_RISK) == 1;
  }, absl::Seconds(30)));

  // A renewal signed with good health: one "ask at signing".
  Script renewal(advocate.account());
  for (size_t i = 0; i < advocate.size(); ++i) renewal.Add(4);  // the same ids as before, so new ones follow
  renewal.Add(7).mutable_contract_billing()->set_kind(v1::ContractBilling::RENEWED);
  const auto renewal_records = renewal.Records(advocate.size());
  v1::InteractionEvent renewed;
  ASSERT_TRUE(renewed.ParseFromString(renewal_records.back().value));
  ProduceAll(h.v1, renewal_records);
  // (The first contract may have been read after the GREEN health signal and asked
  // for too: the topics are read side by side. Count the renewal's.)
  const auto asks_for_renewal = [&] {
    int n = 0;
    for (const auto& s : h.Signals(advocate.account(), 1)) {
      n += s.kind() == v1::AdvocacySignal::ASK_AT_SIGNING && s.trigger_id() == renewed.event_id();
    }
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return asks_for_renewal() >= 1; }, absl::Seconds(30)));
  EXPECT_EQ(asks_for_renewal(), 1);

  // Bad requests name the field.
  {
    grpc::ClientContext c;
    ReferenceHarness::Deadline(c);
    v1::FindReferencesRequest r;
    r.set_limit(500);
    v1::FindReferencesResponse ignored;
    const grpc::Status s = stub->FindReferences(&c, r, &ignored);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "limit must be 0-100, got 500");
  }
  {
    grpc::ClientContext c;
    ReferenceHarness::Deadline(c);
    v1::CreateRequestRequest r;
    r.set_account_id(loyal.account());
    r.set_kind(v1::AdvocacyAction::CASE_STUDY);
    v1::ReferenceRequest ignored;
    const grpc::Status s = stub->CreateRequest(&c, r, &ignored);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "requested_by is required");
  }
  EXPECT_EQ(service->Terminate(), 0);
}

// WatchAdvocacy streams signals as they are published, only of the kinds asked for.
TEST(ReferencePipeline, WatchAdvocacyStreamsTheKindsAskedFor) {
  ReferenceHarness h;
  auto service = h.Start();
  Script advocate(UniqueName("watched"));
  h.Loyal(advocate, true);
  ProduceAll(h.v1, advocate.Records());
  h.Health(advocate.account(), 1, v1::GREEN, v1::CHAMPION);
  h.Churn(advocate.account(), 1, v1::LOW);
  ASSERT_TRUE(WaitFor([&] { return h.Shows(advocate, v1::GREEN, v1::LOW); }, absl::Seconds(60)));

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::WatchAdvocacyRequest request;
  request.add_kinds(v1::AdvocacySignal::ADVOCATE_AT_RISK);
  auto stub = h.Stub();
  auto reader = stub->WatchAdvocacy(&context, request);
  std::mutex mu;
  std::vector<v1::AdvocacySignal> seen;
  std::thread watcher([&] {
    v1::AdvocacySignal s;
    while (reader->Read(&s)) {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(s);
    }
  });
  // The watch counts from its start: move the advocate's risk up and down until it
  // has seen an "at risk" signal.
  int day = 2;
  const bool saw = WaitFor([&] {
    h.Churn(advocate.account(), day++, v1::HIGH);
    h.Churn(advocate.account(), day++, v1::LOW);
    std::lock_guard<std::mutex> lock(mu);
    return !seen.empty();
  }, absl::Seconds(45));
  context.TryCancel();
  watcher.join();
  ASSERT_TRUE(saw);
  for (const auto& s : seen) {
    EXPECT_EQ(s.kind(), v1::AdvocacySignal::ADVOCATE_AT_RISK);
    EXPECT_EQ(s.account_id(), advocate.account());
    EXPECT_EQ(s.previous_churn_tier(), v1::LOW);
  }
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(ReferencePipeline, KilledMidStreamEndsWithTheSameProfilesAsACalmRun) {
  std::mt19937 rng(9);
  const std::string calm_prefix = UniqueName("calm"), crash_prefix = UniqueName("crashed");
  std::vector<Script> calm, crashed;
  ReferenceHarness calm_run, crash_run;
  const auto build = [](ReferenceHarness& h, Script& s, int a) {
    h.Loyal(s, a % 2 == 0);
    for (int day = 5; day < 255; ++day) s.Usage(day, 30 + a, {"reports"});
    auto& revoke = s.Add(255);
    revoke.set_contact_id("champ");
    revoke.mutable_advocacy_action()->set_kind(a % 3 == 0 ? v1::AdvocacyAction::CONSENT_REVOKED : v1::AdvocacyAction::REVIEW);
  };
  // In parts, so that a replica killed after each part always has work in hand.
  constexpr int kKills = 3;
  const auto feed = [](ReferenceHarness& h, const Script& s, int part) {
    if (part == 0) {
      h.Health(s.account(), 10, v1::YELLOW, v1::SATISFACTION);
      h.Churn(s.account(), 10, v1::MEDIUM);
    }
    const auto records = s.Records();
    const size_t from = records.size() * part / (kKills + 1), to = records.size() * (part + 1) / (kKills + 1);
    ProduceAll(h.v1, {records.begin() + static_cast<long>(from), records.begin() + static_cast<long>(to)});
    if (part == kKills) {
      h.Health(s.account(), 254, v1::GREEN, v1::LIKE);
      h.Churn(s.account(), 254, v1::LOW);
    }
  };
  for (int a = 0; a < 8; ++a) {
    calm.emplace_back(absl::StrCat(calm_prefix, "-", a));
    crashed.emplace_back(absl::StrCat(crash_prefix, "-", a));
    build(calm_run, calm.back(), a);
    build(crash_run, crashed.back(), a);
  }
  std::vector<v1::AdvocacyProfile> expected(calm.size());
  {
    auto service = calm_run.Start();
    for (int part = 0; part <= kKills; ++part) {
      for (const auto& s : calm) feed(calm_run, s, part);
    }
    for (const auto& s : calm) {
      ASSERT_TRUE(WaitFor([&] { return calm_run.Shows(s, v1::GREEN, v1::LOW); }, absl::Seconds(120)));
    }
    for (size_t i = 0; i < calm.size(); ++i) ASSERT_TRUE(calm_run.Profile(calm[i].account(), &expected[i]).ok());
    EXPECT_EQ(service->Terminate(), 0);
  }
  for (int kill = 0; kill < kKills; ++kill) {
    for (const auto& s : crashed) feed(crash_run, s, kill);
    auto service = crash_run.Start({"--max_batch=10"});
    ASSERT_TRUE(KillMidStream(*service, crash_run.metrics_port, "retention_reference_inputs_applied_total", rng))
        << service->Log();
  }
  for (const auto& s : crashed) feed(crash_run, s, kKills);
  auto service = crash_run.Start();
  for (const auto& s : crashed) {
    ASSERT_TRUE(WaitFor([&] { return crash_run.Shows(s, v1::GREEN, v1::LOW); }, absl::Seconds(120)));
  }
  for (size_t i = 0; i < calm.size(); ++i) {
    v1::AdvocacyProfile a = expected[i], b;
    ASSERT_TRUE(crash_run.Profile(crashed[i].account(), &b).ok());
    for (v1::AdvocacyProfile* p : {&a, &b}) {
      p->clear_account_id();
      p->clear_industry();  // each harness has its own
    }
    EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString()) << a.DebugString() << "\nvs\n" << b.DebugString();
  }
  EXPECT_EQ(service->Terminate(), 0);
}

TEST(ReferencePipeline, AMalformedPolicyStopsStartUpWithFileLineAndReason) {
  const std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/bad-policy.textproto");
  std::ofstream(path) << "version: \"x\"\nmin_band: GREEN\nstages: [LIKE]\nmax_churn_tier: LOW\n"
                         "success_within_days: 0\n";
  Process p(Runfile("services/reference-pipeline/reference-pipeline"),
            {"--policy=" + path, "--kafka_brokers=" + KafkaBrokers(), "--redis_addr=" + RedisAddr()}, path + ".log");
  EXPECT_EQ(p.Wait(absl::Seconds(30)), 2);
  EXPECT_NE(p.Log().find(path + ":5: success_within_days must be > 0"), std::string::npos) << p.Log();
}

}  // namespace
}  // namespace retention::testing
