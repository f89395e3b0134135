// The reference request life cycle, free of storage: checking a new request and the
// moves between states.
//   NEW -> IN_PROGRESS -> APPROVED | DECLINED (by the account owner)
//   APPROVED -> COMPLETED; NEW, IN_PROGRESS or APPROVED -> CANCELLED.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "retention/v1/advocacy.pb.h"

namespace retention::reference {

// INVALID_ARGUMENT naming the field for a request that cannot be made.
absl::Status CheckCreate(const v1::CreateRequestRequest& create);

// A NEW request from `create`, with its id and first history entry.
v1::ReferenceRequest NewRequest(const v1::CreateRequestRequest& create, std::string request_id,
                                std::string contact_id, absl::Time now);

// `request` moved to `update.state()`; FAILED_PRECONDITION for a move the life cycle
// does not allow, INVALID_ARGUMENT naming the field for a malformed update.
absl::StatusOr<v1::ReferenceRequest> Transition(const v1::ReferenceRequest& request,
                                                const v1::UpdateRequestRequest& update, absl::Time now);

}  // namespace retention::reference
