// Checks of HealthService requests made before any state is read: INVALID_ARGUMENT
// naming the field and quoting at most a short prefix of it. Pure, so that the handlers
// (service.cc) and the fuzzer (tests/fuzz) run the same checks.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "retention/v1/health.pb.h"

namespace retention::health {

absl::Status ValidateGetHealth(const v1::GetHealthRequest& request);
// `now` is the service's clock: the override must expire after it.
absl::Status ValidateSetOverride(const v1::SetOverrideRequest& request, absl::Time now);
absl::Status ValidateClearOverride(const v1::ClearOverrideRequest& request);

}  // namespace retention::health
