// Turns a raw record into a canonical InteractionEvent, or says why it cannot.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "retention/v1/dead_letter.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/ingest/settings.h"

namespace retention::ingest {

struct Rejection {
  v1::RejectReason reason = v1::REJECT_REASON_UNSPECIFIED;
  std::string detail;
};

// Exactly one of `event` and `rejection` is meaningful: `event` when set.
struct Decoded {
  std::optional<v1::InteractionEvent> event;
  Rejection rejection;
  // The event id when it could be read, even from a rejected record.
  std::string event_id;
};

// Decodes `value` as protobuf or JSON (protobuf's JSON mapping), as the content-type
// header says; without the header, a value starting with '{' is JSON, anything else
// protobuf. Then validates it (see Validate).
Decoded DecodeRecord(const std::string& value, const std::vector<kafka::Header>& headers,
                     const IngestSettings& settings, absl::Time now);

// Checks required fields, ranges and the clock; nullopt when the event is valid.
std::optional<Rejection> Validate(const v1::InteractionEvent& event, const IngestSettings& settings,
                                  absl::Time now);

}  // namespace retention::ingest
