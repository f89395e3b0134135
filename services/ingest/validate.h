// Checks of an IngestService Submit request made before any event is processed:
// INVALID_ARGUMENT saying what is wrong. Pure, so that the handler (grpc_service.cc)
// and the fuzzer (tests/fuzz) run the same checks.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "retention/v1/ingest_service.pb.h"

namespace retention::ingest {

inline constexpr int kMaxSubmitEvents = 1000;

// `max_event_bytes` is the ingest settings' limit for one event.
absl::Status ValidateSubmit(const v1::SubmitRequest& request, size_t max_event_bytes);

}  // namespace retention::ingest
