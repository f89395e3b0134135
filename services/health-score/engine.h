// health-score's logic: folds a batch of canonical events into account states, scores
// the account after each event, and says which signals to publish. No Kafka, no Redis:
// a HealthStore gives and keeps the states.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "retention/v1/health.pb.h"
#include "services/health-score/store.h"

namespace retention::health {

struct EngineSettings {
  v1::ScorecardSet scorecards;
  std::string health_topic = "retention.health.v1";
};

// An account's health from its state, with explanation, trends and loyalty stage; an
// override in force at `now` sets the score.
v1::AccountHealth Evaluate(const v1::ScorecardSet& scorecards, const healthscore::AccountState& state,
                           const std::optional<v1::HealthOverride>& override, absl::Time now);

// A stable id for the signal `event_id` caused: the same however often it is published.
std::string SignalId(const std::string& account_id, const std::string& event_id, const std::string& version);

struct BatchResult {
  std::vector<kafka::OutgoingRecord> signals;  // for the health topic, in event order
  std::vector<absl::Time> trigger_received_at;  // ingest's received_at of each signal's event
  std::vector<healthscore::AccountState> states;  // accounts changed by the batch
  std::vector<v1::AccountHealth> summaries;       // their health, without components
  int64_t applied = 0;      // events folded in
  int64_t redelivered = 0;  // events already applied before (skipped)
  int64_t unreadable = 0;   // records that are not InteractionEvents (skipped, counted)
};

class HealthEngine {
 public:
  HealthEngine(EngineSettings settings, HealthStore* store) : settings_(std::move(settings)), store_(store) {}

  // Fails only if the store does; then nothing was changed and the batch may be retried.
  absl::StatusOr<BatchResult> Process(const std::vector<kafka::ConsumedRecord>& records, absl::Time now);

  const EngineSettings& settings() const { return settings_; }

 private:
  EngineSettings settings_;
  HealthStore* store_;
};

}  // namespace retention::health
