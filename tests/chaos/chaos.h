// Runs a scenario through the whole suite against the real Kafka broker and Redis: once
// calm (one replica of each service), or under chaos (three replicas of each stateful
// service and two of ingest; replicas added and removed, SIGKILLed and restarted,
// SIGSTOPped past their session timeout and resumed), then reads every answer back.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "retention/v1/advocacy.pb.h"
#include "retention/v1/churn_risk.pb.h"
#include "retention/v1/health.pb.h"
#include "tests/chaos/scenario.h"
#include "tests/support/suite.h"

namespace retention::chaos {

struct RunOptions {
  bool chaos = false;
  uint64_t seed = 1;          // of the disturbances
  int replicas = 3;           // of each stateful service under chaos
  int partitions = 6;         // of every topic
  absl::Duration send_over = absl::Seconds(20);  // phase 1 is sent in two bursts this far apart
  int max_batch = 0;                              // of the stateful services (0: their default)
  absl::Duration min_chaos = absl::Seconds(40);  // disturbances go on at least this long
};

// What a user can read back once everything is applied.
struct Outcome {
  std::map<std::string, v1::AccountHealth> health;
  std::map<std::string, v1::ChurnRisk> risk;
  std::map<std::string, v1::AdvocacyProfile> profiles;
  std::map<std::string, v1::ReferenceRequest> requests;  // by request id; NOT_FOUND ones absent
  v1::DefectionInsights insights;
  std::map<std::string, int> racing_requests;  // racing account -> requests it ended with
  std::map<std::string, int> disturbances;      // kind -> how many (chaos only)
};

// The four services over a scenario's own topics, against the real Kafka broker and a
// Redis (REDIS_ADDR, or `redis_addr`): the building blocks of Run, for tests that take
// Redis away in between.
class SuiteRun {
 public:
  SuiteRun(const Scenario& scenario, const RunOptions& options, std::string redis_addr = "");
  ~SuiteRun();

  // Phase 1: the part-th of `parts` slices of the events, through ingest.
  void SendEvents(int part, int parts);
  // Phase 2: the overrides and request proposals, and two sellers asking each racing
  // account for a reference at once over gRPC.
  void SendDecisions();
  // Phase 3: more events, through ingest.
  void SendLater();
  // Waits until ingest put every event sent on v1, each stateful service applied every
  // input (its stored checkpoints are at the ends of its topics) and nothing is due.
  bool Settle(const char* phase, absl::Duration timeout = absl::Minutes(4));
  // Every answer a user can read back.
  Outcome ReadBack();

  void StartDisturbing(uint64_t seed);
  void StopDisturbing();
  void StopAll();

  // Of the service's first replica; its Redis key prefix; every replica's log.
  int GrpcPort(const std::string& service);
  int MetricsPort(const std::string& service);
  std::string StatePrefix(const std::string& service);
  std::string Logs(const std::string& service);
  const std::map<std::string, int>& disturbances() const;
  const testing::SuiteTopics& topics() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> p_;
};

// A calm run, or a disturbed one (options.chaos): events, decisions, then every answer.
Outcome Run(const Scenario& scenario, const RunOptions& options);

// How `other` differs from `calm`, one line per difference (empty: the same).
std::vector<std::string> Differences(const Scenario& scenario, const Outcome& calm, const Outcome& other);

}  // namespace retention::chaos
