#include "services/ingest/flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, raw_topic, "retention.interactions.raw", "Topic of raw events from upstream producers");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, dlq_topic, "retention.interactions.dlq", "Dead-letter topic for refused records");
ABSL_FLAG(std::string, group_id, "retention-ingest", "Kafka consumer group of the ingest replicas");
ABSL_FLAG(std::string, state_prefix, "ingest",
          "Redis key prefix of the de-duplication memory (one per deployment sharing a Redis)");
ABSL_FLAG(int64_t, max_event_bytes, 64 * 1024, "Largest record accepted, in bytes (1 to 10485760)");
ABSL_FLAG(int64_t, max_dead_letter_bytes, 512 * 1024,
          "Most bytes of a refused record's value a dead letter keeps (the rest: its size and SHA-256); "
          "keep it under the dead-letter topic's max.message.bytes");
ABSL_FLAG(absl::Duration, max_future_skew, absl::Minutes(5), "How far occurred_at may be ahead of this clock");
ABSL_FLAG(absl::Duration, dedupe_window, absl::Hours(24 * 7), "How long an event id is remembered for de-duplication");
ABSL_FLAG(absl::Duration, submit_claim_ttl, absl::Seconds(60),
          "How long a Submit call's claim on an event id holds before it is published or lapses");
ABSL_FLAG(int, max_batch, 5000, "Most records processed in one batch (one Redis round trip, one transaction)");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");
ABSL_FLAG(absl::Duration, stuck_publish_exit, absl::Minutes(2),
          "A publish waiting this long while the brokers answer is stuck for good: ingest exits (code 75) so "
          "that a fresh process takes over, losing nothing (at least 10s)");

namespace retention::ingest {

absl::StatusOr<IngestFlags> ReadIngestFlags() {
  IngestFlags f;
  IngestSettings& s = f.settings;
  s.raw_topic = absl::GetFlag(FLAGS_raw_topic);
  s.v1_topic = absl::GetFlag(FLAGS_v1_topic);
  s.dlq_topic = absl::GetFlag(FLAGS_dlq_topic);
  f.group_id = absl::GetFlag(FLAGS_group_id);
  f.state_prefix = absl::GetFlag(FLAGS_state_prefix);
  for (const auto& [flag, value] : {std::pair<const char*, std::string>{"raw_topic", s.raw_topic},
                                    {"v1_topic", s.v1_topic},
                                    {"dlq_topic", s.dlq_topic},
                                    {"group_id", f.group_id},
                                    {"state_prefix", f.state_prefix}}) {
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is empty"));
  }
  if (f.state_prefix.find_first_of(" {}") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--state_prefix=\"", f.state_prefix, "\": no spaces or braces"));
  }
  const int64_t max_bytes = absl::GetFlag(FLAGS_max_event_bytes);
  if (max_bytes < 1 || max_bytes > 10 * 1024 * 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--max_event_bytes=", max_bytes, ": expected 1 to 10485760"));
  }
  s.max_event_bytes = static_cast<size_t>(max_bytes);
  const int64_t dead_letter_bytes = absl::GetFlag(FLAGS_max_dead_letter_bytes);
  if (dead_letter_bytes < 1024 || dead_letter_bytes > 10 * 1024 * 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_dead_letter_bytes=", dead_letter_bytes, ": expected 1024 to 10485760"));
  }
  s.max_dead_letter_bytes = static_cast<size_t>(dead_letter_bytes);
  s.max_future_skew = absl::GetFlag(FLAGS_max_future_skew);
  if (s.max_future_skew < absl::ZeroDuration()) return absl::InvalidArgumentError("--max_future_skew must not be negative");
  s.dedupe_window = absl::GetFlag(FLAGS_dedupe_window);
  if (s.dedupe_window < absl::Seconds(1)) return absl::InvalidArgumentError("--dedupe_window must be at least 1s");
  s.submit_claim_ttl = absl::GetFlag(FLAGS_submit_claim_ttl);
  if (s.submit_claim_ttl < absl::Seconds(1)) return absl::InvalidArgumentError("--submit_claim_ttl must be at least 1s");
  if (absl::GetFlag(FLAGS_max_batch) < 1) return absl::InvalidArgumentError("--max_batch must be at least 1");
  f.pipeline.max_batch = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch));
  f.pipeline.poll_wait = absl::GetFlag(FLAGS_poll_wait);
  f.pipeline.stuck_publish_exit = absl::GetFlag(FLAGS_stuck_publish_exit);
  if (f.pipeline.stuck_publish_exit < absl::Seconds(10)) {
    return absl::InvalidArgumentError("--stuck_publish_exit must be at least 10s");
  }
  return f;
}

}  // namespace retention::ingest
