// churn-risk's engine: folds canonical events and health signals into account states,
// assesses each account at the partition's clock (probability, tier, drivers, revenue
// at risk), re-assesses it daily with no event (days of silence grow, the renewal
// approaches), and publishes on a tier change or a move of at least
// publish_min_change. Win/loss outcomes feed the defection insights once each. Pure: no
// Kafka, no Redis, no clock of its own.
#pragma once

#include <string>
#include <variant>

#include "libs/stream/account_engine.h"
#include "retention/v1/churn_risk.pb.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/churn_state.pb.h"

namespace retention::churn {

struct EngineSettings {
  v1::ChurnModel model;
  std::string v1_topic = "retention.interactions.v1";
  std::string health_topic = "retention.health.v1";
  std::string churn_topic = "retention.churn-risk.v1";
};

using ChurnInput = std::variant<v1::InteractionEvent, v1::HealthSignal>;

// The account's risk at `now`, with drivers, revenue at risk and priority.
v1::ChurnRisk Assess(const v1::ChurnModel& model, const churnrisk::ChurnState& state, absl::Time now);

// The defection-insight counter group of a segment and month ("segment|YYYY-MM").
std::string InsightGroup(const std::string& segment, const std::string& period);

class ChurnEngine final : public stream::AccountEngine<churnrisk::ChurnState, ChurnInput> {
 public:
  explicit ChurnEngine(EngineSettings settings) : settings_(std::move(settings)) {}

  absl::StatusOr<stream::Decoded<ChurnInput>> Decode(const kafka::ConsumedRecord& record) const override;
  void Apply(const stream::Decoded<ChurnInput>& input, const kafka::ConsumedRecord& record, absl::Time now,
             churnrisk::ChurnState& state, stream::Emitted& out) const override;
  absl::Time NextDue(const churnrisk::ChurnState& state) const override;
  void Tick(absl::Time due, churnrisk::ChurnState& state, stream::Emitted& out) const override;
  stream::AccountIndex Index(const churnrisk::ChurnState& state) const override;
  bool RestorePublished(const kafka::ConsumedRecord& own_signal, churnrisk::ChurnState& state) const override;

  const EngineSettings& settings() const { return settings_; }

 private:
  void Reassess(churnrisk::ChurnState& state, absl::Time now, const std::string& trigger_id,
                const std::string& trigger_event_id, const std::string& reason, absl::Time triggered_at,
                absl::Time received_at, stream::Emitted& out) const;

  EngineSettings settings_;
};

}  // namespace retention::churn
