// Records a service could not use, set aside with the reason: on a quarantine topic
// of the service's own (retention.<service>.quarantine), as retention.v1.DeadLetter
// with the original bytes (cut to a size the topic takes, with the full size and a
// hash), so that nothing is dropped silently and one bad record never wedges a loop.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "retention/v1/dead_letter.pb.h"

namespace retention::stream {

// How much of an original value a dead letter keeps: with headers and the envelope it
// stays under Kafka's default 1 MiB message limit.
inline constexpr size_t kMaxKeptBytes = 512 * 1024;

// Fills the original bytes of `letter` from `value`, cut to `max_kept` bytes if longer
// (then original_size and original_sha256 tell what it was).
void KeepOriginal(absl::string_view value, size_t max_kept, v1::DeadLetter* letter);

// A dead letter for `record`, which `service` could not use.
kafka::OutgoingRecord QuarantineRecord(const std::string& topic, const std::string& service,
                                       const kafka::ConsumedRecord& record, v1::RejectReason reason,
                                       absl::string_view detail, absl::Time now);

// A dead letter for an account state that could not be read (it was replaced by a
// fresh state); keyed by the account.
kafka::OutgoingRecord QuarantineState(const std::string& topic, const std::string& service, const std::string& account,
                                      const std::string& bytes, absl::Time now);

// A dead letter for a record this service meant to publish but Kafka refused (e.g.
// too large).
kafka::OutgoingRecord QuarantineOutput(const std::string& topic, const std::string& service,
                                       const kafka::OutgoingRecord& record, absl::string_view detail, absl::Time now);

// The text of `s` cut to `max` bytes with a note of what was cut: error messages
// quote at most a short prefix of any value.
std::string Clip(absl::string_view s, size_t max = 64);

}  // namespace retention::stream
