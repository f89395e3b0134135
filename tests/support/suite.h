// The whole suite inside one test: every topic under a unique name, and replicas of any
// of the four services started against them, the real Kafka broker and a Redis.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/env.h"
#include "tests/support/process.h"

namespace retention::testing {

// The churn model, scorecard and policy the services ship with (runfile paths).
inline constexpr char kShippedModel[] = "services/churn-risk/models/churn-2026-11-c.textproto";
inline constexpr char kShippedScorecard[] = "services/health-score/scorecards/default.textproto";
inline constexpr char kShippedPolicy[] = "services/reference-pipeline/policies/default.textproto";

// Every topic of the suite, named uniquely for one test and created co-partitioned.
struct SuiteTopics {
  explicit SuiteTopics(int partitions = 3, std::string brokers = "");

  std::string raw, v1, dlq, health, churn, advocacy, overrides, requests;
  std::string health_quarantine, churn_quarantine, reference_quarantine;
};

// One running replica of a service.
struct Replica {
  std::unique_ptr<Process> process;
  std::string instance;
  int grpc_port = 0;
  int metrics_port = 0;

  std::shared_ptr<grpc::Channel> Channel() const;
  std::string Metrics() const { return HttpGet(metrics_port, "/metrics"); }
};

// One deployment of a service ("ingest", "health-score", "churn-risk" or
// "reference-pipeline"): its consumer group and Redis key space, which every replica
// started from it shares.
class Deployment {
 public:
  Deployment(std::string service, const SuiteTopics& topics);

  // Flags every replica gets after the defaults (a later flag wins), e.g. a clock.
  void AddFlags(const std::vector<std::string>& flags);
  // Starts a replica (a new instance id, or `instance` to stand in for one that died)
  // and waits until it says it is ready; the test fails if it does not within 60 s.
  std::unique_ptr<Replica> Start(const std::vector<std::string>& extra = {}, std::string instance = "");

  const std::string& service() const { return service_; }
  const std::string& group() const { return group_; }

 private:
  std::string service_;
  std::string group_;  // also the Redis key prefix
  std::vector<std::string> flags_;
};

}  // namespace retention::testing
