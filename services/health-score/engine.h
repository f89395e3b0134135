// health-score's engine: folds canonical events and override decisions into account
// states and evaluates each account at the partition's clock, with every component
// explained; re-evaluates it daily (and when an override lapses) with no event, so
// silence lowers the score; publishes on a band or stage change or a move of at least
// publish_min_change. Pure: no Kafka, no Redis, no clock of its own.
#pragma once

#include <string>
#include <variant>

#include "libs/stream/account_engine.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/health-score/health_state.pb.h"

namespace retention::health {

struct EngineSettings {
  v1::ScorecardSet scorecards;
  std::string v1_topic = "retention.interactions.v1";
  std::string overrides_topic = "retention.health.overrides.v1";
  std::string health_topic = "retention.health.v1";
};

// An input of health-score: a canonical event or an override decision.
using HealthInput = std::variant<v1::InteractionEvent, v1::OverrideRecord>;

// The account's health at `now`, with its explanation and trends.
v1::AccountHealth Evaluate(const v1::ScorecardSet& scorecards, const healthscore::HealthState& state, absl::Time now);

class HealthEngine final : public stream::AccountEngine<healthscore::HealthState, HealthInput> {
 public:
  explicit HealthEngine(EngineSettings settings) : settings_(std::move(settings)) {}

  absl::StatusOr<stream::Decoded<HealthInput>> Decode(const kafka::ConsumedRecord& record) const override;
  void Apply(const stream::Decoded<HealthInput>& input, const kafka::ConsumedRecord& record, absl::Time now,
             healthscore::HealthState& state, stream::Emitted& out) const override;
  absl::Time NextDue(const healthscore::HealthState& state) const override;
  void Tick(absl::Time due, healthscore::HealthState& state, stream::Emitted& out) const override;
  stream::AccountIndex Index(const healthscore::HealthState& state) const override;
  bool RestorePublished(const kafka::ConsumedRecord& own_signal, healthscore::HealthState& state) const override;

  const EngineSettings& settings() const { return settings_; }

 private:
  // Evaluates at `now`, keeps the day's score, publishes if the change is meaningful.
  void Reevaluate(healthscore::HealthState& state, absl::Time now, const std::string& trigger_id,
                  const std::string& trigger_event_id, const std::string& reason, absl::Time triggered_at,
                  absl::Time received_at, stream::Emitted& out) const;

  EngineSettings settings_;
};

}  // namespace retention::health
