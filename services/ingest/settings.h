// What the ingest logic needs to know, filled by main.cc from flags.
#pragma once

#include <cstddef>
#include <string>

#include "absl/time/time.h"

namespace retention::ingest {

struct IngestSettings {
  std::string raw_topic = "retention.interactions.raw";
  std::string v1_topic = "retention.interactions.v1";
  std::string dlq_topic = "retention.interactions.dlq";
  // Records larger than this are dead-lettered as TOO_LARGE.
  size_t max_event_bytes = 64 * 1024;
  // A dead letter keeps at most this much of the original value (the rest is described
  // by its size and hash), so that the dead-letter topic always takes it.
  size_t max_dead_letter_bytes = 512 * 1024;
  // occurred_at may be at most this far ahead of ingest's clock.
  absl::Duration max_future_skew = absl::Minutes(5);
  // How long an event id is remembered for de-duplication.
  absl::Duration dedupe_window = absl::Hours(24 * 7);
  // How long a gRPC call's claim holds before it is confirmed (published) or lapses.
  absl::Duration submit_claim_ttl = absl::Seconds(60);
};

// Content types a producer may name in the content-type header.
inline constexpr char kContentTypeProtobuf[] = "application/x-protobuf";
inline constexpr char kContentTypeJson[] = "application/json";
inline constexpr char kContentTypeHeader[] = "content-type";

}  // namespace retention::ingest
