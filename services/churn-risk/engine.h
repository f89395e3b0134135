// churn-risk's logic: folds canonical events and health signals into account states,
// predicts the risk after each one, and says which signals to publish (hysteresis). No
// Kafka, no Redis: a ChurnStore gives and keeps the states.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "retention/v1/churn_risk.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/churn_state.pb.h"

namespace retention::churn {

// A win/loss outcome, counted in the defection insights of its segment and month.
struct Outcome {
  std::string segment;
  std::string period;  // "YYYY-MM"
  v1::WinLossOutcome::Outcome outcome = v1::WinLossOutcome::OUTCOME_UNSPECIFIED;
  std::vector<std::string> reasons;
  std::string competitor;
};

class ChurnStore {
 public:
  virtual ~ChurnStore() = default;
  // Every requested account appears in the result (a new state if never stored).
  virtual absl::StatusOr<std::map<std::string, churnrisk::ChurnAccountState>> Load(
      const std::vector<std::string>& accounts) = 0;
  // Writes states, their risks and the batch's outcomes in one unit: a crash before it
  // completes writes none of it, so an outcome is counted exactly when its event is
  // recorded as applied.
  virtual absl::Status Save(const std::vector<churnrisk::ChurnAccountState>& states,
                            const std::vector<v1::ChurnRisk>& risks, const std::vector<Outcome>& outcomes) = 0;
};

struct EngineSettings {
  v1::ChurnModel model;
  std::string v1_topic = "retention.interactions.v1";
  std::string health_topic = "retention.health.v1";
  std::string churn_topic = "retention.churn-risk.v1";
};

// The account's risk from its state, with drivers, revenue at risk and priority.
v1::ChurnRisk Assess(const v1::ChurnModel& model, const churnrisk::ChurnAccountState& state);

struct BatchResult {
  std::vector<kafka::OutgoingRecord> signals;  // for the churn-risk topic, in record order
  std::vector<absl::Time> trigger_received_at;  // when each signal's trigger entered the suite
  std::vector<churnrisk::ChurnAccountState> states;  // accounts changed by the batch
  std::vector<v1::ChurnRisk> risks;                  // their current risk
  std::vector<Outcome> outcomes;                     // win/loss outcomes applied
  int64_t applied = 0;
  int64_t redelivered = 0;
  int64_t unreadable = 0;
};

class ChurnEngine {
 public:
  ChurnEngine(EngineSettings settings, ChurnStore* store) : settings_(std::move(settings)), store_(store) {}

  // Records from the v1 and health topics, in the order read. Fails only if the store does.
  absl::StatusOr<BatchResult> Process(const std::vector<kafka::ConsumedRecord>& records, absl::Time now);

  const EngineSettings& settings() const { return settings_; }

 private:
  EngineSettings settings_;
  ChurnStore* store_;
};

}  // namespace retention::churn
