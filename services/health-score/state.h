// Folds interaction events into an account's state and reads measures out of it.
#pragma once

#include <cstdint>

#include "retention/v1/interaction_event.pb.h"
#include "services/health-score/account_state.pb.h"
#include "services/health-score/scoring.h"

namespace retention::health {

inline constexpr int kDaysKept = 91;

int64_t DayOf(int64_t unix_seconds);

// Applies `event`, read at `partition`/`offset`, unless an event at or after that offset
// was already applied (a redelivery): then returns false and changes nothing.
bool ApplyEvent(const v1::InteractionEvent& event, int32_t partition, int64_t offset,
                healthscore::AccountState* state);

// The measures the state has data for, as of its latest event.
MeasureValues ComputeMeasures(const healthscore::AccountState& state);

// Inputs of the loyalty stage from the state and its measures; `adoption` is the
// PRODUCT_ADOPTION component's score.
LoyaltyInputs LoyaltyInputsFrom(const healthscore::AccountState& state, const MeasureValues& measures,
                                std::optional<double> adoption);

}  // namespace retention::health
