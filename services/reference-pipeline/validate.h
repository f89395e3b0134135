// Checks of ReferenceService requests made before any state is read: INVALID_ARGUMENT
// naming the field and quoting at most a short prefix of it. Pure, so that the handlers
// (service.cc) and the fuzzer (tests/fuzz) run the same checks.
#pragma once

#include "absl/status/status.h"
#include "retention/v1/advocacy.pb.h"

namespace retention::reference {

absl::Status ValidateFindReferences(const v1::FindReferencesRequest& request);
absl::Status ValidateCreateRequest(const v1::CreateRequestRequest& request);
absl::Status ValidateUpdateRequest(const v1::UpdateRequestRequest& request);
absl::Status ValidateGetRequest(const v1::GetRequestRequest& request);
absl::Status ValidateGetAdvocacyProfile(const v1::GetAdvocacyProfileRequest& request);

}  // namespace retention::reference
