// Time passing with no event, end to end against the real Kafka broker and Redis:
// silence lowers health and raises risk, an override lapses and a reference cooldown
// ends, each with a signal at its time. The services run on an accelerated clock
// (--clock_start, --clock_rate), so months pass in a minute.
#include <grpcpp/grpcpp.h>

#include <map>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "retention/v1/advocacy.grpc.pb.h"
#include "retention/v1/churn_risk.grpc.pb.h"
#include "retention/v1/health.grpc.pb.h"
#include "tests/support/account_script.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"
#include "tests/support/suite.h"

namespace retention::testing {
namespace {

absl::Time Day(double day) { return absl::FromUnixSeconds(kDay0) + absl::Hours(24 * day); }

std::vector<std::string> Clock(absl::Time start, double rate, absl::Time until = absl::InfiniteFuture()) {
  std::vector<std::string> flags = {"--clock_start=" + absl::FormatTime(absl::RFC3339_sec, start, absl::UTCTimeZone()),
                                    absl::StrCat("--clock_rate=", rate)};
  if (until != absl::InfiniteFuture()) {
    flags.push_back("--clock_until=" + absl::FormatTime(absl::RFC3339_sec, until, absl::UTCTimeZone()));
  }
  return flags;
}

void Deadline(grpc::ClientContext& c) { c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10)); }

// A healthy account for 60 days (days 0-59), then nothing at all.
void HealthyThenQuiet(Script& s) {
  auto* contract = s.Add(0).mutable_contract_billing();
  contract->set_kind(v1::ContractBilling::SIGNED);
  contract->set_arr(60'000);
  contract->set_seats(50);
  contract->mutable_renewal_date()->set_seconds(kDay0 + 300 * 86400);
  s.Stakeholder(0, "sponsor", v1::StakeholderChange::JOINED, v1::StakeholderChange::EXECUTIVE_SPONSOR, false);
  s.Stakeholder(0, "champ", v1::StakeholderChange::JOINED, v1::StakeholderChange::DIRECTOR, true);
  s.Add(30).mutable_survey_response()->set_nps(9);
  s.Add(40).mutable_engagement()->set_kind(v1::Engagement::QBR);
  for (int day = 0; day < 60; ++day) s.Usage(day, 40, {"reports", "api", "alerts", "export"});
}

template <typename Signal>
std::map<std::string, std::vector<Signal>> ByAccount(const std::vector<kafka::ConsumedRecord>& records) {
  std::map<std::string, std::vector<Signal>> out;
  for (const auto& r : records) {
    Signal s;
    if (s.ParseFromString(r.value)) out[s.account_id()].push_back(s);
  }
  return out;
}

bool Silence(const std::string& reason) { return absl::StartsWith(reason, "no activity for "); }

// Health: GREEN while events came; then, with only time passing, down to YELLOW and RED.
bool SlidToRed(const std::vector<v1::HealthSignal>& signals) {
  bool green = false, yellow = false;
  for (const auto& s : signals) {
    if (!s.trigger_event_id().empty()) {
      green = s.health().band() == v1::GREEN;
      yellow = false;
      continue;
    }
    if (!green || !Silence(s.trigger_reason())) continue;
    yellow = yellow || s.health().band() == v1::YELLOW;
    if (yellow && s.health().band() == v1::RED) return true;
  }
  return false;
}

// Churn: LOW at some point; then, with no event, up to MEDIUM and then to HIGH or above
// (each step caused by churn-risk's own re-assessment of the silence or by a health
// signal that silence caused).
bool RoseToHigh(const std::vector<v1::ChurnRiskSignal>& signals) {
  bool low = false, medium = false;
  for (const auto& s : signals) {
    if (absl::StartsWith(s.trigger_reason(), "event ") || s.risk().tier() == v1::LOW) {
      low = s.risk().tier() == v1::LOW;  // the climb starts again
      medium = false;
      continue;
    }
    if (!low) continue;
    medium = medium || s.risk().tier() == v1::MEDIUM;
    if (medium && s.risk().tier() >= v1::HIGH) return true;
  }
  return false;
}

// Signals churn-risk published because silence grew, with no input at all.
size_t OwnSilenceSignals(const std::vector<kafka::ConsumedRecord>& records) {
  size_t n = 0;
  for (const auto& [account, signals] : ByAccount<v1::ChurnRiskSignal>(records)) {
    for (const auto& s : signals) n += Silence(s.trigger_reason()) && s.trigger_event_id().empty();
  }
  return n;
}

// One run of health-score and churn-risk over the scripts, on a clock that starts the
// day after their last event, runs a day a second and stops at `end`. `kill` SIGKILLs both services
// at random points of the sweep. When every account is RED and HIGH, both restart on a
// clock stopped at `end`, which re-evaluates everything up to it.
struct SilenceRun {
  std::map<std::string, v1::AccountHealth> health;
  std::map<std::string, v1::ChurnRisk> risk;
  std::map<std::string, std::string> health_signals;  // signal id -> bytes, up to `end`
  size_t churn_silence_signals = 0;                    // see OwnSilenceSignals
};

SilenceRun RunSilence(const std::vector<Script>& scripts, absl::Time end, int kills, std::mt19937& rng) {
  constexpr double kRate = 86400;  // a day a second: a loaded machine keeps up
  SuiteTopics topics;
  Deployment health("health-score", topics), churn("churn-risk", topics);
  ProduceAll(topics.v1, InTimeOrder(scripts));
  TopicWatcher health_topic(topics.health), churn_topic(topics.churn);
  const auto live = Clock(Day(60), kRate, end);
  auto h = health.Start(live);
  auto c = churn.Start(live);
  for (int k = 0; k < kills; ++k) {
    // Somewhere in the sweep: once some account has started sliding.
    EXPECT_TRUE(health_topic.WaitUntil(
        [&](const auto& records) {
          for (const auto& [account, signals] : ByAccount<v1::HealthSignal>(records)) {
            for (const auto& s : signals) {
              if (s.trigger_event_id().empty() && s.health().band() != v1::GREEN) return true;
            }
          }
          return false;
        },
        absl::Seconds(120)));
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 2000)(rng)));
    std::printf("kill %d: SIGKILL health-score and churn-risk mid-sweep\n", k + 1);
    h->process->Kill();
    c->process->Kill();
    h = health.Start(live, h->instance);
    c = churn.Start(live, c->instance);
  }
  const auto all = [&](auto check, const auto& records, auto tag) {
    using Signal = typename decltype(tag)::value_type;
    const auto by_account = ByAccount<Signal>(records);
    for (const Script& s : scripts) {
      auto it = by_account.find(s.account());
      if (it == by_account.end() || !check(it->second)) return false;
    }
    return true;
  };
  EXPECT_TRUE(health_topic.WaitUntil([&](const auto& r) { return all(SlidToRed, r, std::vector<v1::HealthSignal>()); },
                                     absl::Seconds(180)))
      << "every account GREEN, then YELLOW and RED on silence alone";
  for (const auto& [account, signals] : ByAccount<v1::HealthSignal>(health_topic.Records())) {
    if (SlidToRed(signals)) continue;
    std::printf("%s did not slide to RED; its health signals:\n", account.c_str());
    for (const auto& s : signals) {
      std::printf("  %.1f %s | %s\n", s.health().score(), v1::HealthBand_Name(s.health().band()).c_str(),
                  s.trigger_reason().c_str());
    }
    break;
  }
  EXPECT_TRUE(churn_topic.WaitUntil([&](const auto& r) { return all(RoseToHigh, r, std::vector<v1::ChurnRiskSignal>()); },
                                    absl::Seconds(120)))
      << "every account LOW, then MEDIUM and HIGH as silence grew";
  for (const auto& [account, signals] : ByAccount<v1::ChurnRiskSignal>(churn_topic.Records())) {
    if (RoseToHigh(signals)) continue;
    std::printf("%s did not rise to HIGH; its risk signals:\n", account.c_str());
    for (const auto& s : signals) {
      std::printf("  %.3f %s | %s\n", s.risk().probability(), v1::RiskTier_Name(s.risk().tier()).c_str(),
                  s.trigger_reason().c_str());
    }
    break;
  }
  EXPECT_EQ(h->process->Terminate(), 0);
  EXPECT_EQ(c->process->Terminate(), 0);

  // The clock stopped at `end`: everything due by then is evaluated, then nothing moves.
  // health-score first, so that churn-risk then reads every health signal up to `end`.
  const auto stopped = Clock(end, 0);
  const auto settled = [](const Replica& r, const std::string& prefix) {
    // Nothing due and nothing to read (the answers as of `end` are checked below).
    return WaitFor(
        [&] {
          const std::string m = r.Metrics();
          return MetricValue(m, prefix + "_due_now") == 0 && MetricValue(m, prefix + "_consumer_lag") == 0;
        },
        absl::Seconds(60));
  };
  h = health.Start(stopped, h->instance);
  EXPECT_TRUE(settled(*h, "retention_health")) << h->process->Log();
  c = churn.Start(stopped, c->instance);
  EXPECT_TRUE(settled(*c, "retention_churn")) << c->process->Log();
  SilenceRun run;
  run.churn_silence_signals = OwnSilenceSignals(churn_topic.Records());
  auto health_stub = v1::HealthService::NewStub(h->Channel());
  auto churn_stub = v1::ChurnRiskService::NewStub(c->Channel());
  for (const Script& s : scripts) {
    v1::AccountHealth a;
    EXPECT_TRUE(WaitFor(
        [&] {
          grpc::ClientContext ctx;
          Deadline(ctx);
          v1::GetHealthRequest request;
          request.set_account_id(s.account());
          return health_stub->GetHealth(&ctx, request, &a).ok() && a.as_of().seconds() == absl::ToUnixSeconds(end);
        },
        absl::Seconds(60)));
    run.health[s.account()] = a;
    v1::ChurnRisk r;
    EXPECT_TRUE(WaitFor(
        [&] {
          grpc::ClientContext ctx;
          Deadline(ctx);
          v1::GetRiskRequest request;
          request.set_account_id(s.account());
          return churn_stub->GetRisk(&ctx, request, &r).ok() && r.as_of().seconds() == absl::ToUnixSeconds(end);
        },
        absl::Seconds(60)));
    run.risk[s.account()] = r;
  }
  // Read to the end of every partition: the watcher may not have caught up with the
  // last signals yet, although the answers already show them.
  for (const auto& r : ReadTopic(topics.health, 0, absl::Seconds(60))) {
    v1::HealthSignal s;
    if (s.ParseFromString(r.value) && s.triggered_at().seconds() <= absl::ToUnixSeconds(end)) {
      const auto [it, inserted] = run.health_signals.emplace(s.signal_id(), r.value);
      if (!inserted) {
        // A repeat after a kill is the same signal.
        v1::HealthSignal first;
        first.ParseFromString(it->second);
        first.clear_published_at();
        s.clear_published_at();
        EXPECT_EQ(first.SerializeAsString(), s.SerializeAsString()) << "signal " << s.signal_id() << " repeated unlike";
      }
    }
  }
  EXPECT_EQ(h->process->Terminate(), 0);
  EXPECT_EQ(c->process->Terminate(), 0);
  return run;
}

TEST(Silence, AQuietAccountSlidesToRedAndHighWithNoEventAndKillsMidSweepChangeNothing) {
  std::vector<Script> scripts;
  const std::string prefix = UniqueName("quiet");
  for (int a = 0; a < 20; ++a) {
    scripts.emplace_back(absl::StrCat(prefix, "-", a));
    HealthyThenQuiet(scripts.back());
  }
  std::mt19937 rng(std::random_device{}());
  const absl::Time end = Day(160);
  const SilenceRun calm = RunSilence(scripts, end, 0, rng);
  const SilenceRun killed = RunSilence(scripts, end, 2, rng);

  for (const Script& s : scripts) {
    const v1::AccountHealth& h = calm.health.at(s.account());
    EXPECT_EQ(h.band(), v1::RED) << h.ShortDebugString();
    EXPECT_EQ(h.days_silent(), 101);
    const v1::ChurnRisk& r = calm.risk.at(s.account());
    EXPECT_GE(r.tier(), v1::HIGH) << r.ShortDebugString();
    bool days_silent = false;
    for (const auto& d : r.drivers()) days_silent |= d.feature() == v1::CHURN_FEATURE_DAYS_SILENT;
    EXPECT_TRUE(days_silent) << "days silent is among the drivers: " << r.ShortDebugString();
    // Killed twice mid-sweep, the other run ends in the same answers.
    EXPECT_EQ(h.SerializeAsString(), killed.health.at(s.account()).SerializeAsString());
    EXPECT_EQ(r.SerializeAsString(), killed.risk.at(s.account()).SerializeAsString());
  }
  // And it published the same health signals, under the same ids: an id is the account
  // and the due time, whoever evaluates it and however often.
  std::set<std::string> calm_ids, killed_ids;
  EXPECT_GT(calm.churn_silence_signals, 0u) << "churn-risk re-assesses silence on its own";
  for (const auto& [id, bytes] : calm.health_signals) calm_ids.insert(id);
  for (const auto& [id, bytes] : killed.health_signals) killed_ids.insert(id);
  EXPECT_EQ(calm_ids, killed_ids);
  int shown = 0;
  for (const auto* run : {&calm, &killed}) {
    const auto* other = run == &calm ? &killed : &calm;
    for (const auto& [id, bytes] : run->health_signals) {
      if (other->health_signals.count(id) > 0 || ++shown > 12) continue;
      v1::HealthSignal s;
      s.ParseFromString(bytes);
      std::printf("only in the %s run: %s %s at %s, %.1f %s, %s\n", run == &calm ? "calm" : "killed", id.c_str(),
                  s.account_id().c_str(), absl::FormatTime(absl::FromUnixSeconds(s.triggered_at().seconds())).c_str(),
                  s.health().score(), v1::HealthBand_Name(s.health().band()).c_str(), s.trigger_reason().c_str());
    }
  }
  std::printf("%zu accounts: %zu health signals up to day 160 in both runs\n", scripts.size(), calm_ids.size());
}

TEST(Silence, TheSameHistoryEndingSixtyDaysAgoScoresLowerThanOneEndingYesterday) {
  // Sent today through ingest, on the wall clock: two copies of one healthy history.
  SuiteTopics topics;
  Deployment ingest("ingest", topics), health("health-score", topics), churn("churn-risk", topics);
  auto i = ingest.Start();
  auto h = health.Start();
  auto c = churn.Start();
  const std::string prefix = UniqueName("ago");
  const absl::Time now = absl::Now();
  std::vector<kafka::OutgoingRecord> records;
  std::map<std::string, int64_t> last_event;
  for (const auto& [name, ends_days_ago] : std::vector<std::pair<std::string, int>>{{"yesterday", 1}, {"sixty", 60}}) {
    Script s(prefix + "-" + name);
    HealthyThenQuiet(s);
    // Move the history so that its last day is `ends_days_ago` days before now.
    const int64_t shift = absl::ToUnixSeconds(now - absl::Hours(24 * ends_days_ago)) - s.last_seconds();
    for (kafka::OutgoingRecord r : s.Records()) {
      v1::InteractionEvent e;
      ASSERT_TRUE(e.ParseFromString(r.value));
      e.mutable_occurred_at()->set_seconds(e.occurred_at().seconds() + shift);
      if (e.has_contract_billing()) {
        e.mutable_contract_billing()->mutable_renewal_date()->set_seconds(absl::ToUnixSeconds(now + absl::Hours(24 * 200)));
      }
      last_event[e.account_id()] = std::max(last_event[e.account_id()], e.occurred_at().seconds());
      r.value = e.SerializeAsString();
      records.push_back(r);
    }
  }
  ProduceAll(topics.raw, records);
  auto health_stub = v1::HealthService::NewStub(h->Channel());
  auto churn_stub = v1::ChurnRiskService::NewStub(c->Channel());
  std::map<std::string, v1::AccountHealth> healths;
  std::map<std::string, v1::ChurnRisk> risks;
  for (const auto& [account, last] : last_event) {
    ASSERT_TRUE(WaitFor(
        [&, account = account, last = last] {
          grpc::ClientContext ctx;
          Deadline(ctx);
          v1::GetHealthRequest request;
          request.set_account_id(account);
          return health_stub->GetHealth(&ctx, request, &healths[account]).ok() &&
                 healths[account].last_event_at().seconds() == last;
        },
        absl::Seconds(90)));
    ASSERT_TRUE(WaitFor(
        [&, account = account, last = last] {
          grpc::ClientContext ctx;
          Deadline(ctx);
          v1::GetRiskRequest request;
          request.set_account_id(account);
          return churn_stub->GetRisk(&ctx, request, &risks[account]).ok() &&
                 risks[account].last_event_at().seconds() == last;
        },
        absl::Seconds(90)));
  }
  const v1::AccountHealth& recent = healths[prefix + "-yesterday"];
  const v1::AccountHealth& old = healths[prefix + "-sixty"];
  EXPECT_EQ(recent.band(), v1::GREEN) << recent.ShortDebugString();
  EXPECT_NE(old.band(), v1::GREEN) << old.ShortDebugString();
  EXPECT_LE(old.score(), recent.score() - 15);
  const double p_recent = risks[prefix + "-yesterday"].probability(), p_old = risks[prefix + "-sixty"].probability();
  EXPECT_GE(p_old, 2 * p_recent);
  std::printf("ending yesterday: %.1f %s, churn %.3f; ending 60 days ago: %.1f %s, churn %.3f\n", recent.score(),
              v1::HealthBand_Name(recent.band()).c_str(), p_recent, old.score(), v1::HealthBand_Name(old.band()).c_str(),
              p_old);
  for (auto* r : {&i, &h, &c}) EXPECT_EQ((*r)->process->Terminate(), 0);
}

TEST(Time, AnOverrideLapsesWithASignalAtItsExpiry) {
  SuiteTopics topics;
  Deployment health("health-score", topics);
  Script s(UniqueName("overridden"));
  HealthyThenQuiet(s);
  ProduceAll(topics.v1, s.Records());
  TopicWatcher health_topic(topics.health);
  // A quarter of a day a second.
  auto h = health.Start(Clock(Day(60), 86400 / 4.0));
  auto stub = v1::HealthService::NewStub(h->Channel());
  v1::AccountHealth now;
  ASSERT_TRUE(WaitFor(
      [&] {
        grpc::ClientContext ctx;
        Deadline(ctx);
        v1::GetHealthRequest request;
        request.set_account_id(s.account());
        return stub->GetHealth(&ctx, request, &now).ok() && now.last_event_at().seconds() == s.last_seconds();
      },
      absl::Seconds(60)));
  // The service's clock is the answer's as_of: expire a day after it.
  const int64_t expires = now.as_of().seconds() + 86400;
  grpc::ClientContext ctx;
  Deadline(ctx);
  v1::SetOverrideRequest set;
  set.set_account_id(s.account());
  set.set_score(15);
  set.set_reason("executive escalation");
  set.set_author("cs-lead@example.test");
  set.mutable_expires_at()->set_seconds(expires);
  v1::AccountHealth overridden;
  ASSERT_TRUE(stub->SetOverride(&ctx, set, &overridden).ok());
  EXPECT_EQ(overridden.score(), 15);
  v1::HealthSignal lapsed;
  ASSERT_TRUE(health_topic.WaitUntil(
      [&](const auto& records) {
        for (const auto& r : records) {
          if (lapsed.ParseFromString(r.value) && lapsed.account_id() == s.account() &&
              lapsed.trigger_reason() == "override expired") {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30)))
      << "a day of the service's clock is 4 s";
  EXPECT_EQ(lapsed.triggered_at().seconds(), expires);
  EXPECT_TRUE(lapsed.trigger_event_id().empty());
  EXPECT_FALSE(lapsed.health().has_override());
  EXPECT_EQ(lapsed.previous_score(), 15);
  EXPECT_GT(lapsed.health().score(), 15);
  EXPECT_EQ(h->process->Terminate(), 0);
}

TEST(Time, TheEndOfAReferenceCooldownPublishesEligibilityAtItsTime) {
  SuiteTopics topics;
  Deployment reference("reference-pipeline", topics);
  const std::string account = UniqueName("cooled");
  Script s(account);
  ConsentingCustomer(s, "fintech");
  ProduceAll(topics.v1, s.Records());
  v1::HealthSignal health;
  health.set_signal_id(UniqueName("hs"));
  health.set_account_id(account);
  health.mutable_health()->set_account_id(account);
  health.mutable_health()->set_score(86);
  health.mutable_health()->set_band(v1::GREEN);
  health.mutable_health()->set_loyalty_stage(v1::LIKE);
  health.mutable_health()->mutable_as_of()->set_seconds(kDay0 + 3 * 86400);
  ProduceAll(topics.health, {{"", account, health.SerializeAsString(), {}}});
  v1::ChurnRiskSignal churn;
  churn.set_signal_id(UniqueName("cs"));
  churn.set_account_id(account);
  churn.mutable_risk()->set_account_id(account);
  churn.mutable_risk()->set_tier(v1::LOW);
  churn.mutable_risk()->set_probability(0.04);
  churn.mutable_risk()->mutable_as_of()->set_seconds(kDay0 + 3 * 86400);
  ProduceAll(topics.churn, {{"", account, churn.SerializeAsString(), {}}});

  TopicWatcher advocacy(topics.advocacy);
  // Two days a second: the 30-day cooldown passes in 15 s.
  auto r = reference.Start(Clock(Day(5), 2 * 86400));
  auto stub = v1::ReferencePipelineService::NewStub(r->Channel());
  const auto profile = [&] {
    v1::AdvocacyProfile out;
    grpc::ClientContext ctx;
    Deadline(ctx);
    v1::GetAdvocacyProfileRequest request;
    request.set_account_id(account);
    const grpc::Status status = stub->GetAdvocacyProfile(&ctx, request, &out);
    if (!status.ok()) out.Clear();  // not seen yet
    return out;
  };
  ASSERT_TRUE(WaitFor([&] { return profile().eligible(); }, absl::Seconds(60)));
  v1::ReferenceRequest request;
  {
    grpc::ClientContext ctx;
    Deadline(ctx);
    v1::CreateRequestRequest create;
    create.set_account_id(account);
    create.set_kind(v1::AdvocacyAction::REVIEW);
    create.set_requested_by("seller@example.test");
    ASSERT_TRUE(stub->CreateRequest(&ctx, create, &request).ok());
  }
  for (auto to : {v1::ReferenceRequest::IN_PROGRESS, v1::ReferenceRequest::DECLINED}) {
    grpc::ClientContext ctx;
    Deadline(ctx);
    v1::UpdateRequestRequest update;
    update.set_request_id(request.request_id());
    update.set_state(to);
    update.set_by("account-owner");
    const grpc::Status status = stub->UpdateRequest(&ctx, update, &request);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const v1::AdvocacyProfile asked = profile();
  EXPECT_FALSE(asked.eligible()) << "asked within the cooldown";
  const int64_t cooldown_ends = request.created_at().seconds() + 30 * 86400;
  v1::AdvocacySignal eligible;
  ASSERT_TRUE(advocacy.WaitUntil(
      [&](const auto& records) {
        for (const auto& rec : records) {
          if (eligible.ParseFromString(rec.value) && eligible.account_id() == account &&
              eligible.kind() == v1::AdvocacySignal::ADVOCATE_ELIGIBLE &&
              eligible.triggered_at().seconds() > request.created_at().seconds()) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(60)))
      << "30 days of the service's clock are 15 s";
  // At its time: the first second after the cooldown, not when some event came.
  EXPECT_EQ(eligible.triggered_at().seconds(), cooldown_ends + 1);
  EXPECT_TRUE(eligible.profile().eligible());
  EXPECT_NE(eligible.reason().find("cooldown"), std::string::npos) << eligible.reason();
  EXPECT_EQ(r->process->Terminate(), 0);
}

}  // namespace
}  // namespace retention::testing
