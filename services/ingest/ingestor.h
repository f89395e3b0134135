// The ingest logic, free of Kafka and gRPC: decode and validate each record, drop
// repeats by event id, and say what to publish where (canonical event or dead letter).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "retention/v1/ingest_service.pb.h"
#include "services/ingest/decode.h"
#include "services/ingest/dedupe.h"
#include "services/ingest/settings.h"

namespace retention::ingest {

// How many records went which way; in = out + duplicates + sum(rejected).
struct IngestCounts {
  int64_t in = 0;
  int64_t out = 0;
  int64_t duplicates = 0;
  std::map<v1::RejectReason, int64_t> rejected;

  int64_t rejected_total() const;
};

struct BatchOutput {
  // Canonical events for the v1 topic and dead letters, in input order.
  std::vector<kafka::OutgoingRecord> records;
  IngestCounts counts;
};

struct SubmitOutput {
  std::vector<v1::SubmitResult> results;   // one per input event
  std::vector<kafka::OutgoingRecord> records;  // accepted events, for the v1 topic
  std::vector<DedupeClaim> claims;         // to confirm once published, or release
  IngestCounts counts;
  // An event another call is publishing right now: answer "retry" for the whole call.
  std::string in_flight_event_id;
};

class Ingestor {
 public:
  Ingestor(IngestSettings settings, DedupeStore* dedupe) : settings_(std::move(settings)), dedupe_(dedupe) {}

  // A batch from the raw topic. Fails if the dedupe store does, or if an event of the
  // batch is being published over gRPC right now (UNAVAILABLE): retry the batch.
  absl::StatusOr<BatchOutput> ProcessRecords(const std::vector<kafka::ConsumedRecord>& records,
                                             absl::Time now);

  // Events submitted over gRPC; `call_id` makes the claim tokens of one call unique.
  absl::StatusOr<SubmitOutput> ProcessSubmitted(const std::vector<v1::InteractionEvent>& events,
                                                const std::string& call_id, absl::Time now);

  // Gives back claims of events that could not be published.
  absl::Status ReleaseClaims(const std::vector<DedupeClaim>& claims) { return dedupe_->Release(claims); }
  // Confirms the claims of published events for the whole window.
  absl::Status ConfirmClaims(const std::vector<DedupeClaim>& claims) { return dedupe_->Confirm(claims); }

  const IngestSettings& settings() const { return settings_; }

 private:
  kafka::OutgoingRecord Canonical(v1::InteractionEvent& event, absl::Time now) const;
  kafka::OutgoingRecord DeadLettered(const kafka::ConsumedRecord& record, const Decoded& decoded,
                                     absl::Time now) const;

  IngestSettings settings_;
  DedupeStore* dedupe_;
  // How far this ingestor recorded reading each partition in the store: the store
  // must not be behind it (else it went back).
  std::map<std::pair<std::string, int32_t>, int64_t> recorded_;
  std::string marker_;  // the store's marker recorded_ holds under
};

}  // namespace retention::ingest
