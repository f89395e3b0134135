// Folds canonical events and health signals into an account's churn state, and reads
// the model's features out of it as of a day.
#pragma once

#include "absl/time/time.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/churn_state.pb.h"
#include "services/churn-risk/model.h"

namespace retention::churn {

// Applies a canonical event; `now` is the partition's clock.
void ApplyEvent(const v1::InteractionEvent& event, absl::Time now, churnrisk::ChurnState* state);

// Applies a health signal.
void ApplyHealth(const v1::HealthSignal& signal, churnrisk::ChurnState* state);

// The model's inputs as of `today`.
FeatureValues ComputeFeatures(const churnrisk::ChurnState& state, int32_t today);

}  // namespace retention::churn
