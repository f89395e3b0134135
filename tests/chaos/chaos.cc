#include "tests/chaos/chaos.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/config/flags.h"
#include "libs/kafka/partitioner.h"
#include "libs/kafka/topic_reader.h"
#include "libs/redis/redis_client.h"
#include "libs/stream/redis_state_store.h"
#include "retention/v1/advocacy.grpc.pb.h"
#include "retention/v1/churn_risk.grpc.pb.h"
#include "retention/v1/health.grpc.pb.h"
#include "tests/support/kafka_io.h"
#include "tests/support/suite.h"

namespace retention::chaos {
namespace {

using testing::Deployment;
using testing::Replica;

// The replicas of one deployment. The chaos agent changes them while the test reads
// their ports, so both go through the mutex.
class Group {
 public:
  Group(Deployment* deployment, int base, bool stateful)
      : deployment_(deployment), base_(base), stateful_(stateful) {}

  void StartBase() {
    absl::MutexLock lock(&mu_);
    while (static_cast<int>(replicas_.size()) < base_) replicas_.push_back(deployment_->Start());
  }
  std::vector<int> GrpcPorts() {
    absl::MutexLock lock(&mu_);
    std::vector<int> out;
    for (const auto& r : replicas_) out.push_back(r->grpc_port);
    return out;
  }
  std::vector<int> MetricsPorts() {
    absl::MutexLock lock(&mu_);
    std::vector<int> out;
    for (const auto& r : replicas_) out.push_back(r->metrics_port);
    return out;
  }
  std::string Logs() {
    absl::MutexLock lock(&mu_);
    std::string out;
    for (const auto& r : replicas_) out += r->process->Log();
    return out;
  }
  const std::string& name() const { return deployment_->service(); }
  // "retention_health" for health-score, and so on.
  std::string MetricPrefix() const { return "retention_" + name().substr(0, name().find('-')); }
  bool stateful() const { return stateful_; }

  // Disturbances; each returns what it did, or "" if it did nothing.
  std::string KillAndRestart(std::mt19937_64& rng, pid_t spare) {
    absl::MutexLock lock(&mu_);
    const size_t i = std::uniform_int_distribution<size_t>(0, replicas_.size() - 1)(rng);
    if (replicas_[i]->process->pid() == spare) return "";
    const std::string instance = replicas_[i]->instance;
    replicas_[i]->process->Kill();
    // A moment down, then the same replica (same instance id) comes back.
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(0, 1500)(rng)));
    replicas_[i] = deployment_->Start({}, instance);
    return absl::StrCat("SIGKILL ", name(), " ", instance, " and restart it");
  }
  std::string Add() {
    absl::MutexLock lock(&mu_);
    if (static_cast<int>(replicas_.size()) > base_) return "";
    replicas_.push_back(deployment_->Start());
    return absl::StrCat("add ", name(), " ", replicas_.back()->instance);
  }
  std::string Remove(pid_t spare) {
    absl::MutexLock lock(&mu_);
    if (static_cast<int>(replicas_.size()) <= base_ || replicas_.back()->process->pid() == spare) return "";
    const std::string instance = replicas_.back()->instance;
    replicas_.back()->process->Terminate();
    replicas_.pop_back();
    return absl::StrCat("remove ", name(), " ", instance);
  }
  // SIGSTOPs a replica while it is applying inputs (its counter moving), so that it
  // holds a batch it has not written yet; returns its pid (0 if none got busy).
  pid_t PauseABusyOne(std::mt19937_64& rng, const std::atomic<bool>& stop) {
    absl::MutexLock lock(&mu_);
    const std::string counter = MetricPrefix() + "_inputs_applied_total";
    const absl::Time give_up = absl::Now() + absl::Seconds(20);
    while (!stop && absl::Now() < give_up) {
      const Replica& r = *replicas_[std::uniform_int_distribution<size_t>(0, replicas_.size() - 1)(rng)];
      const double before = testing::MetricValue(r.Metrics(), counter);
      absl::SleepFor(absl::Milliseconds(20));
      if (testing::MetricValue(r.Metrics(), counter) > before) {
        kill(r.process->pid(), SIGSTOP);
        return r.process->pid();
      }
    }
    return 0;
  }
  // Back to its base replicas, each running.
  void Restore() {
    absl::MutexLock lock(&mu_);
    for (auto& r : replicas_) {
      if (!r->process->Running()) r = deployment_->Start({}, r->instance);
    }
    while (static_cast<int>(replicas_.size()) > base_) {
      replicas_.back()->process->Terminate();
      replicas_.pop_back();
    }
  }
  void StopAll() {
    absl::MutexLock lock(&mu_);
    for (auto& r : replicas_) EXPECT_EQ(r->process->Terminate(), 0) << r->process->Log();
    replicas_.clear();
  }

 private:
  Deployment* deployment_;
  const int base_;
  const bool stateful_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Replica>> replicas_ ABSL_GUARDED_BY(mu_);
};

// Disturbs the groups until stopped: SIGKILLs and restarts, replicas added and
// removed, and a replica of a stateful service SIGSTOPped past its session timeout
// (10 s) and resumed, one at a time.
class Agent {
 public:
  Agent(std::vector<Group*> groups, uint64_t seed, std::map<std::string, int>* counts)
      : groups_(std::move(groups)), rng_(seed), counts_(counts), thread_([this] { Loop(); }) {}
  ~Agent() { Stop(); }

  void Stop() {
    if (stop_.exchange(true)) return;
    thread_.join();
    if (paused_ != 0) Resume();
    for (Group* g : groups_) g->Restore();
  }

 private:
  void Note(const std::string& kind, const std::string& what) {
    if (what.empty()) return;
    ++(*counts_)[kind];
    std::printf("[chaos +%4.1fs] %s\n", absl::ToDoubleSeconds(absl::Now() - started_), what.c_str());
    std::fflush(stdout);
  }
  void Resume() {
    kill(paused_, SIGCONT);
    Note("resumes", absl::StrCat("SIGCONT pid ", paused_));
    paused_ = 0;
  }
  Group* AnyGroup(bool stateful_only) {
    std::vector<Group*> options;
    for (Group* g : groups_) {
      if (!stateful_only || g->stateful()) options.push_back(g);
    }
    return options[std::uniform_int_distribution<size_t>(0, options.size() - 1)(rng_)];
  }
  void Loop() {
    while (!stop_) {
      const absl::Time next = absl::Now() + absl::Milliseconds(std::uniform_int_distribution<int>(1000, 3000)(rng_));
      while (!stop_ && absl::Now() < next) absl::SleepFor(absl::Milliseconds(50));
      if (stop_) break;
      if (paused_ != 0 && absl::Now() >= resume_at_) Resume();
      // Every kind at least once, first; then at random.
      static constexpr int kFirst[] = {0, 40, 60, 80};  // pause, kill, add, remove
      const int roll = step_ < 4 ? kFirst[step_] : std::uniform_int_distribution<int>(0, 99)(rng_);
      ++step_;
      if (roll < 15 && paused_ == 0) {
        Group* g = AnyGroup(true);
        paused_ = g->PauseABusyOne(rng_, stop_);
        if (paused_ == 0) continue;
        resume_at_ = absl::Now() + absl::Seconds(14);
        Note("pauses", absl::StrCat("SIGSTOP ", g->name(), " pid ", paused_, " mid-batch, for 14 s (session timeout 10 s)"));
      } else if (roll < 15) {
        continue;  // one pause at a time
      } else if (roll < 50) {
        Note("kills", AnyGroup(false)->KillAndRestart(rng_, paused_));
      } else if (roll < 70) {
        Note("adds", AnyGroup(false)->Add());
      } else if (roll < 90) {
        // A replica that was added goes again (any group that has one).
        std::vector<Group*> order = groups_;
        std::shuffle(order.begin(), order.end(), rng_);
        for (Group* g : order) {
          if (std::string what = g->Remove(paused_); !what.empty()) {
            Note("removes", what);
            break;
          }
        }
      }
    }
  }

  std::vector<Group*> groups_;
  std::mt19937_64 rng_;
  std::map<std::string, int>* counts_;
  const absl::Time started_ = absl::Now();
  int step_ = 0;
  pid_t paused_ = 0;
  absl::Time resume_at_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void Deadline(grpc::ClientContext& c) { c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10)); }

// Calls `call` until it answers anything but UNAVAILABLE or DEADLINE_EXCEEDED (a
// replica restarting), for up to a minute.
grpc::Status Persist(const std::function<grpc::Status()>& call) {
  grpc::Status s;
  const absl::Time deadline = absl::Now() + absl::Minutes(1);
  do {
    s = call();
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE && s.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) break;
    absl::SleepFor(absl::Milliseconds(200));
  } while (absl::Now() < deadline);
  return s;
}

std::shared_ptr<grpc::Channel> Channel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

struct Service {
  std::string prefix;
  std::vector<std::string> inputs;
};

// Whether every input of every stateful service is applied (each partition's stored
// checkpoint is at the end of each input topic) and nothing is due by the clock, and
// ingest put every event on v1.
bool Settled(const std::vector<Service>& services, int partitions, absl::Time clock, const testing::TopicWatcher& v1,
             size_t events, const std::string& redis_addr) {
  std::set<std::string> ids;
  for (const auto& r : v1.Records()) {
    v1::InteractionEvent e;
    if (e.ParseFromString(r.value)) ids.insert(e.event_id());
  }
  if (ids.size() < events) return false;
  auto hp = config::ParseHostPort(redis_addr, "redis address");
  redis::RedisOptions ro;
  ro.host = hp->host;
  ro.port = hp->port;
  redis::RedisClient redis(ro);
  std::map<std::string, std::map<int32_t, int64_t>> ends;
  for (const Service& s : services) {
    for (const std::string& topic : s.inputs) {
      if (ends.count(topic) > 0) continue;
      auto e = kafka::EndOffsets(testing::KafkaFor(), topic, absl::Seconds(10));
      if (!e.ok()) return false;
      ends[topic] = *e;
    }
    auto progress = stream::ReadProgress(redis, s.prefix, partitions, clock);
    if (!progress.ok()) return false;
    for (const stream::PartitionProgress& p : *progress) {
      if (p.due > 0) return false;
      for (const std::string& topic : s.inputs) {
        const int64_t end = ends[topic][p.partition];
        if (end == 0) continue;
        if (!p.checkpoint.has_value()) return false;
        auto at = p.checkpoint->offsets.find(topic);
        if (at == p.checkpoint->offsets.end() || at->second < end) return false;
      }
    }
  }
  return true;
}

}  // namespace

struct SuiteRun::Parts {
  Parts(const Scenario& s, const RunOptions& o, const std::string& redis)
      : scenario(s),
        options(o),
        redis_addr(redis.empty() ? testing::RedisAddr() : redis),
        topics(o.partitions),
        ingest("ingest", topics),
        health("health-score", topics),
        churn("churn-risk", topics),
        reference("reference-pipeline", topics),
        ingest_group(&ingest, o.chaos ? 2 : 1, false),
        health_group(&health, o.chaos ? o.replicas : 1, true),
        churn_group(&churn, o.chaos ? o.replicas : 1, true),
        reference_group(&reference, o.chaos ? o.replicas : 1, true),
        v1_watch(topics.v1) {}

  const Scenario& scenario;
  const RunOptions options;
  const std::string redis_addr;
  testing::SuiteTopics topics;
  Deployment ingest, health, churn, reference;
  Group ingest_group, health_group, churn_group, reference_group;
  testing::TopicWatcher v1_watch;
  std::vector<kafka::OutgoingRecord> events;
  size_t sent = 0;
  std::unique_ptr<Agent> agent;
  std::map<std::string, int> disturbances;

  std::vector<Group*> groups() { return {&ingest_group, &health_group, &churn_group, &reference_group}; }
  Group& group(const std::string& service) {
    for (Group* g : groups()) {
      if (g->name() == service) return *g;
    }
    ADD_FAILURE() << "no service " << service;
    return ingest_group;
  }
};

SuiteRun::SuiteRun(const Scenario& scenario, const RunOptions& options, std::string redis_addr)
    : p_(std::make_unique<Parts>(scenario, options, redis_addr)) {
  const std::vector<std::string> clock = {
      "--clock_start=" + absl::FormatTime(absl::RFC3339_sec, scenario.clock, absl::UTCTimeZone()), "--clock_rate=0"};
  p_->ingest.AddFlags({"--redis_addr=" + p_->redis_addr});
  for (Deployment* d : {&p_->health, &p_->churn, &p_->reference}) {
    d->AddFlags(clock);
    d->AddFlags({"--redis_addr=" + p_->redis_addr});
    // Small batches keep the replicas busy longer, so that disturbances land mid-batch.
    if (options.max_batch > 0) d->AddFlags({absl::StrCat("--max_batch=", options.max_batch)});
  }
  for (Group* g : p_->groups()) g->StartBase();
  for (const auto* phase : {&scenario.events, &scenario.later}) {
    for (const v1::InteractionEvent& e : *phase) {
      p_->events.push_back({"", e.account_id(), e.SerializeAsString(), {{"content-type", "application/x-protobuf"}}});
    }
  }
}

SuiteRun::~SuiteRun() { StopAll(); }

void SuiteRun::StartDisturbing(uint64_t seed) {
  p_->agent = std::make_unique<Agent>(p_->groups(), seed, &p_->disturbances);
}

void SuiteRun::StopDisturbing() {
  if (p_->agent != nullptr) p_->agent->Stop();
}

void SuiteRun::SendEvents(int part, int parts) {
  const size_t n = p_->scenario.events.size();
  const size_t from = n * part / parts, to = n * (part + 1) / parts;
  testing::ProduceAll(p_->topics.raw, {p_->events.begin() + static_cast<long>(from), p_->events.begin() + static_cast<long>(to)});
  p_->sent = std::max(p_->sent, to);
}

void SuiteRun::SendLater() {
  const size_t n = p_->scenario.events.size();
  testing::ProduceAll(p_->topics.raw, {p_->events.begin() + static_cast<long>(n), p_->events.end()});
  p_->sent = p_->events.size();
}

void SuiteRun::SendDecisions() {
  std::vector<kafka::OutgoingRecord> overrides, proposals;
  for (const v1::OverrideRecord& o : p_->scenario.overrides) {
    overrides.push_back({"", o.account_id(), o.SerializeAsString(), {}});
  }
  for (const v1::RequestRecord& r : p_->scenario.proposals) {
    proposals.push_back({"", r.request_id(), r.SerializeAsString(), {},
                         kafka::PartitionForKey(r.account_id(), p_->options.partitions)});
  }
  testing::ProduceAll(p_->topics.overrides, overrides);
  testing::ProduceAll(p_->topics.requests, proposals);
  // Two sellers asking for the same reference at once, on two replicas if there are two.
  std::vector<std::thread> racers;
  for (const std::string& account : p_->scenario.racing) {
    for (int seller = 0; seller < 2; ++seller) {
      racers.emplace_back([this, account, seller] {
        const std::vector<int> ports = p_->reference_group.GrpcPorts();
        auto stub = v1::ReferencePipelineService::NewStub(Channel(ports[seller % ports.size()]));
        v1::CreateRequestRequest create;
        create.set_account_id(account);
        create.set_kind(v1::AdvocacyAction::CASE_STUDY);
        create.set_requested_by(absl::StrCat("seller-", seller));
        v1::ReferenceRequest made;
        Persist([&] {
          grpc::ClientContext c;
          Deadline(c);
          return stub->CreateRequest(&c, create, &made);
        });
      });
    }
  }
  for (auto& t : racers) t.join();
}

bool SuiteRun::Settle(const char* phase, absl::Duration timeout) {
  const std::vector<Service> services = {
      {p_->health.group(), {p_->topics.v1, p_->topics.overrides}},
      {p_->churn.group(), {p_->topics.v1, p_->topics.health}},
      {p_->reference.group(), {p_->topics.v1, p_->topics.health, p_->topics.churn, p_->topics.requests}},
  };
  const absl::Time start = absl::Now();
  const bool settled = testing::WaitFor(
      [&] {
        return Settled(services, p_->options.partitions, p_->scenario.clock, p_->v1_watch, p_->sent, p_->redis_addr);
      },
      timeout, absl::Milliseconds(500));
  EXPECT_TRUE(settled) << phase << " never settled";
  std::printf("%s settled in %.1f s\n", phase, absl::ToDoubleSeconds(absl::Now() - start));
  return settled;
}

int SuiteRun::GrpcPort(const std::string& service) { return p_->group(service).GrpcPorts()[0]; }
int SuiteRun::MetricsPort(const std::string& service) { return p_->group(service).MetricsPorts()[0]; }
std::string SuiteRun::StatePrefix(const std::string& service) {
  for (Deployment* d : {&p_->ingest, &p_->health, &p_->churn, &p_->reference}) {
    if (d->service() == service) return d->group();
  }
  return "";
}
std::string SuiteRun::Logs(const std::string& service) { return p_->group(service).Logs(); }
const std::map<std::string, int>& SuiteRun::disturbances() const { return p_->disturbances; }
const testing::SuiteTopics& SuiteRun::topics() const { return p_->topics; }

void SuiteRun::StopAll() {
  if (p_ == nullptr) return;
  StopDisturbing();
  for (Group* g : p_->groups()) g->StopAll();
}

Outcome SuiteRun::ReadBack() {
  Outcome out;
  const Scenario& scenario = p_->scenario;
  auto health_stub = v1::HealthService::NewStub(Channel(GrpcPort("health-score")));
  auto churn_stub = v1::ChurnRiskService::NewStub(Channel(GrpcPort("churn-risk")));
  auto reference_stub = v1::ReferencePipelineService::NewStub(Channel(GrpcPort("reference-pipeline")));
  for (const std::string& account : scenario.accounts) {
    v1::GetHealthRequest h;
    h.set_account_id(account);
    EXPECT_TRUE(Persist([&] {
                  grpc::ClientContext c;
                  Deadline(c);
                  return health_stub->GetHealth(&c, h, &out.health[account]);
                }).ok());
    v1::GetRiskRequest r;
    r.set_account_id(account);
    EXPECT_TRUE(Persist([&] {
                  grpc::ClientContext c;
                  Deadline(c);
                  return churn_stub->GetRisk(&c, r, &out.risk[account]);
                }).ok());
    v1::GetAdvocacyProfileRequest p;
    p.set_account_id(account);
    EXPECT_TRUE(Persist([&] {
                  grpc::ClientContext c;
                  Deadline(c);
                  return reference_stub->GetAdvocacyProfile(&c, p, &out.profiles[account]);
                }).ok());
  }
  for (const std::string& account : scenario.racing) out.racing_requests[account] = out.profiles[account].requests_received();
  for (const v1::RequestRecord& proposal : scenario.proposals) {
    v1::GetRequestRequest g;
    g.set_request_id(proposal.request_id());
    v1::ReferenceRequest request;
    const grpc::Status s = Persist([&] {
      grpc::ClientContext c;
      Deadline(c);
      return reference_stub->GetRequest(&c, g, &request);
    });
    if (s.ok()) out.requests[proposal.request_id()] = request;
  }
  EXPECT_TRUE(Persist([&] {
                grpc::ClientContext c;
                Deadline(c);
                return churn_stub->GetDefectionInsights(&c, v1::GetDefectionInsightsRequest(), &out.insights);
              }).ok());
  out.disturbances = p_->disturbances;
  return out;
}

Outcome Run(const Scenario& scenario, const RunOptions& options) {
  SuiteRun run(scenario, options);
  const absl::Time started = absl::Now();
  if (options.chaos) run.StartDisturbing(options.seed);
  // Phase 1: the events, through ingest, in two bursts, so that the replicas are busy
  // (mid-batch) when disturbed.
  run.SendEvents(0, 2);
  absl::SleepFor(options.send_over / 2);
  run.SendEvents(1, 2);
  run.Settle("phase 1 (events)");
  // Phase 2: people's decisions.
  run.SendDecisions();
  run.Settle("phase 2 (decisions)");
  run.SendLater();
  run.Settle("phase 3 (later events)");
  if (options.chaos) {
    const absl::Duration left = options.min_chaos - (absl::Now() - started);
    if (left > absl::ZeroDuration()) absl::SleepFor(left);
    run.StopDisturbing();
    run.Settle("after the disturbances");
  }
  Outcome out = run.ReadBack();
  run.StopAll();
  return out;
}

std::vector<std::string> Differences(const Scenario& scenario, const Outcome& calm, const Outcome& other) {
  std::vector<std::string> out;
  const std::set<std::string> racing(scenario.racing.begin(), scenario.racing.end());
  const auto compare = [&](const std::string& what, const google::protobuf::Message& a,
                           const google::protobuf::Message& b) {
    if (a.SerializeAsString() != b.SerializeAsString()) {
      out.push_back(absl::StrCat(what, ":\n  calm:  ", a.ShortDebugString(), "\n  other: ", b.ShortDebugString()));
    }
  };
  for (const std::string& account : scenario.accounts) {
    compare("health of " + account, calm.health.at(account), other.health.at(account));
    compare("risk of " + account, calm.risk.at(account), other.risk.at(account));
    if (racing.count(account) > 0) continue;  // their request ids are the service's own
    v1::AdvocacyProfile a = calm.profiles.at(account), b = other.profiles.at(account);
    // The health score and churn probability reference-pipeline holds are the last ones
    // published, and a move under the publish threshold (5 points, 0.05) is not: which
    // moves were published depends on how the topics interleaved (and, after a rebuild,
    // on the replay). So each run's copy must be within the threshold of that run's own
    // answer (which is compared exactly); bands, stages and tiers always are published.
    for (const auto* run : {&calm, &other}) {
      const char* name = run == &calm ? "calm" : "other";
      const v1::AdvocacyProfile& copy = run->profiles.at(account);
      if (std::abs(copy.health_score() - run->health.at(account).score()) >= 5) {
        out.push_back(absl::StrCat(name, " run: reference-pipeline knows ", account, "'s health as ", copy.health_score(),
                                   ", health-score says ", run->health.at(account).score()));
      }
      if (std::abs(copy.churn_probability() - run->risk.at(account).probability()) >= 0.05) {
        out.push_back(absl::StrCat(name, " run: reference-pipeline knows ", account, "'s churn probability as ",
                                   copy.churn_probability(), ", churn-risk says ", run->risk.at(account).probability()));
      }
    }
    for (v1::AdvocacyProfile* p : {&a, &b}) {
      p->clear_health_score();
      p->clear_churn_probability();
    }
    compare("advocacy profile of " + account, a, b);
  }
  for (const auto& [id, request] : calm.requests) {
    auto it = other.requests.find(id);
    if (it == other.requests.end()) {
      out.push_back("request " + id + " is missing");
    } else {
      compare("request " + id, request, it->second);
    }
  }
  for (const auto& [id, request] : other.requests) {
    if (calm.requests.count(id) == 0) out.push_back("request " + id + " should not exist: " + request.ShortDebugString());
  }
  compare("defection insights", calm.insights, other.insights);
  for (const auto& [account, n] : other.racing_requests) {
    const int expected = calm.racing_requests.count(account) > 0 ? calm.racing_requests.at(account) : 0;
    if (n != expected) {
      out.push_back(absl::StrCat(account, " was asked by two sellers at once and has ", n, " requests, not ", expected));
    }
  }
  return out;
}

}  // namespace retention::chaos
