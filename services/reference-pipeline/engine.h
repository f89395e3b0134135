// reference-pipeline's stream logic: folds events, health and churn signals into
// advocacy profiles and says which signals to publish: ask at signing, newly eligible,
// no longer eligible, advocate at risk. No Kafka, no Redis: stores give and keep state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "retention/v1/advocacy.pb.h"
#include "services/reference-pipeline/profile.h"

namespace retention::reference {

class ProfileStore {
 public:
  virtual ~ProfileStore() = default;
  // Every requested account appears in the result (a new state if never stored).
  virtual absl::StatusOr<std::map<std::string, ReferenceAccountState>> Load(const std::vector<std::string>& accounts) = 0;
  // Writes the states and the index of accounts whose stream conditions hold, in one unit.
  virtual absl::Status Save(const std::vector<ReferenceAccountState>& states) = 0;
};

struct EngineSettings {
  v1::ReferencePolicy policy;
  std::string v1_topic = "retention.interactions.v1";
  std::string health_topic = "retention.health.v1";
  std::string churn_topic = "retention.churn-risk.v1";
  std::string advocacy_topic = "retention.advocacy.v1";
};

struct BatchResult {
  std::vector<kafka::OutgoingRecord> signals;  // for the advocacy topic, in record order
  std::vector<ReferenceAccountState> states;   // accounts changed by the batch
  int64_t applied = 0;
  int64_t redelivered = 0;
  int64_t unreadable = 0;
};

// The signal record for `signal` (keyed by account), with its id and time set.
kafka::OutgoingRecord SignalRecord(const std::string& topic, v1::AdvocacySignal signal, absl::Time now);

class ReferenceEngine {
 public:
  ReferenceEngine(EngineSettings settings, ProfileStore* store) : settings_(std::move(settings)), store_(store) {}

  // Records from the v1, health and churn-risk topics, in the order read. Fails only
  // if the store does.
  absl::StatusOr<BatchResult> Process(const std::vector<kafka::ConsumedRecord>& records, absl::Time now);

  const EngineSettings& settings() const { return settings_; }

 private:
  EngineSettings settings_;
  ProfileStore* store_;
};

}  // namespace retention::reference
