#include "services/ingest/validate.h"

#include "absl/strings/str_cat.h"

namespace retention::ingest {

absl::Status ValidateSubmit(const v1::SubmitRequest& request, size_t max_event_bytes) {
  if (request.events_size() == 0 || request.events_size() > kMaxSubmitEvents) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: expected 1-", kMaxSubmitEvents, " events, got ", request.events_size()));
  }
  for (int i = 0; i < request.events_size(); ++i) {
    const size_t size = request.events(i).ByteSizeLong();
    if (size > max_event_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "]: ", size, " bytes, more than the limit of ", max_event_bytes));
    }
  }
  return absl::OkStatus();
}

}  // namespace retention::ingest
