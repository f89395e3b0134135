// Reads a topic from its beginning to its current end with read_committed, as a
// subscriber catching up would. For tools (the CLI, the demo, benchmarks) and tests.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/kafka/settings.h"

namespace retention::kafka {

// Returns once every partition has been read to its end and at least `min_records`
// were read, or when `timeout` passes (with what was read by then). Fails only if the
// topic cannot be found or the brokers do not answer.
absl::StatusOr<std::vector<ConsumedRecord>> ReadTopicToEnd(const KafkaSettings& kafka, const std::string& topic,
                                                           size_t min_records, absl::Duration timeout);

// Reads `topic` from the first records at or after `since` (by their timestamps) to its
// current end, handing each batch to `handle`; stops at the first error `handle` returns.
absl::Status ReadTopicSince(const KafkaSettings& kafka, const std::string& topic, absl::Time since,
                            const std::function<absl::Status(const std::vector<ConsumedRecord>&)>& handle,
                            absl::Duration timeout);

// Reads one partition of `topic` from its beginning to its current end, handing each
// batch to `handle`; stops at the first error `handle` returns.
absl::Status ReadPartition(const KafkaSettings& kafka, const std::string& topic, int32_t partition,
                           const std::function<absl::Status(const std::vector<ConsumedRecord>&)>& handle,
                           absl::Duration timeout);

// The end offset (high watermark) of each partition of `topic`.
absl::StatusOr<std::map<int32_t, int64_t>> EndOffsets(const KafkaSettings& kafka, const std::string& topic,
                                                      absl::Duration timeout);

// Reads `topic` from its beginning and keeps following it: `handle` gets each batch
// read (an empty one at least every 100 ms while nothing comes) until it returns false.
absl::Status FollowTopic(const KafkaSettings& kafka, const std::string& topic,
                         const std::function<bool(const std::vector<ConsumedRecord>&)>& handle);

}  // namespace retention::kafka
