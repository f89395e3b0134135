// Checks of ChurnRiskService requests made before any state is read: INVALID_ARGUMENT
// naming the field and quoting at most a short prefix of it. Pure, so that the handlers
// (service.cc) and the fuzzer (tests/fuzz) run the same checks.
#pragma once

#include "absl/status/status.h"
#include "retention/v1/churn_risk.pb.h"

namespace retention::churn {

absl::Status ValidateGetRisk(const v1::GetRiskRequest& request);
absl::Status ValidateGetDefectionInsights(const v1::GetDefectionInsightsRequest& request);

}  // namespace retention::churn
