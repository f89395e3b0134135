// Folds canonical events and health signals into an account's churn state, and reads
// the model's features out of it.
#pragma once

#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/churn_state.pb.h"
#include "services/churn-risk/model.h"

namespace retention::churn {

// Applies a canonical event read at `partition`/`offset` of the v1 topic; false (and
// nothing changed) if it was applied before.
bool ApplyEvent(const v1::InteractionEvent& event, int32_t partition, int64_t offset,
                churnrisk::ChurnAccountState* state);

// Applies a health signal read at `partition`/`offset` of the health topic; false if
// applied before.
bool ApplyHealth(const v1::HealthSignal& signal, int32_t partition, int64_t offset,
                 churnrisk::ChurnAccountState* state);

// The model's inputs as of the account's latest event.
FeatureValues ComputeFeatures(const churnrisk::ChurnAccountState& state);

}  // namespace retention::churn
