// reference-pipeline's engine: folds events, health and churn signals into advocacy
// profiles, decides reference requests (in order with everything else known of the
// account: eligibility, fatigue, the life cycle), and says which signals to publish:
// ask at signing, eligible, no longer eligible, advocate at risk, request changed.
// Eligibility is evaluated at the partition's clock, and again when time alone changes
// it (a cooldown ends, a success milestone ages out). Pure: no Kafka, no Redis.
#pragma once

#include <string>
#include <variant>

#include "libs/stream/account_engine.h"
#include "retention/v1/advocacy.pb.h"
#include "services/reference-pipeline/profile.h"

namespace retention::reference {

struct EngineSettings {
  v1::ReferencePolicy policy;
  std::string v1_topic = "retention.interactions.v1";
  std::string health_topic = "retention.health.v1";
  std::string churn_topic = "retention.churn-risk.v1";
  std::string requests_topic = "retention.advocacy.requests.v1";
  std::string advocacy_topic = "retention.advocacy.v1";
};

using ReferenceInput = std::variant<v1::InteractionEvent, v1::HealthSignal, v1::ChurnRiskSignal, v1::RequestRecord>;

inline constexpr int kMaxRequests = 50;
inline constexpr int kMaxDecisions = 32;

// The account's profile with its requests, evaluated at `now`.
v1::AdvocacyProfile Current(const v1::ReferencePolicy& policy, const ReferenceAccountState& state, absl::Time now);

class ReferenceEngine final : public stream::AccountEngine<ReferenceAccountState, ReferenceInput> {
 public:
  explicit ReferenceEngine(EngineSettings settings) : settings_(std::move(settings)) {}

  absl::StatusOr<stream::Decoded<ReferenceInput>> Decode(const kafka::ConsumedRecord& record) const override;
  void Apply(const stream::Decoded<ReferenceInput>& input, const kafka::ConsumedRecord& record, absl::Time now,
             ReferenceAccountState& state, stream::Emitted& out) const override;
  absl::Time NextDue(const ReferenceAccountState& state) const override;
  void Tick(absl::Time due, ReferenceAccountState& state, stream::Emitted& out) const override;
  stream::AccountIndex Index(const ReferenceAccountState& state) const override;

  const EngineSettings& settings() const { return settings_; }

 private:
  // Decides a proposed request command; what to signal follows.
  void Decide(const v1::RequestRecord& record, const kafka::ConsumedRecord& source, absl::Time now,
              ReferenceAccountState& state, stream::Emitted& out) const;
  // Publishes what the change of the account calls for.
  void Signals(ReferenceAccountState& state, absl::Time now, bool was_eligible, v1::RiskTier was_tier,
               const Applied& applied, const std::string& trigger, absl::Time triggered_at,
               const std::string& time_reason, stream::Emitted& out) const;
  // Publishes `signal` with the account's next sequence.
  void Emit(v1::AdvocacySignal signal, ReferenceAccountState& state, absl::Time now, stream::Emitted& out) const;

  EngineSettings settings_;
};

}  // namespace retention::reference
