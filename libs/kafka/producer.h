// What the suite needs of a Kafka producer, as a small interface (see consumer.h):
// KafkaProducer over librdkafka, and FakeKafka's producer for unit tests.
//
// Status codes of transaction calls:
//   ABORTED      the transaction must be aborted and the batch retried;
//   UNAVAILABLE  the same call may be retried (e.g. the broker is away);
//   INTERNAL     fatal for this producer (e.g. fenced by a newer instance): recreate it.
// A record over the size limit is INVALID_ARGUMENT (retrying will not help).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/record.h"
#include "libs/kafka/settings.h"

namespace retention::kafka {

struct ProducerOptions {
  KafkaSettings kafka;
  // Empty: idempotent producer without transactions.
  std::string transactional_id;
  // How long a record may wait for delivery (message.timeout.ms / transaction timeout).
  absl::Duration delivery_timeout = absl::Seconds(30);
  // linger.ms: how long to wait to fill a batch.
  absl::Duration linger = absl::Milliseconds(5);
};

class Producer {
 public:
  virtual ~Producer() = default;

  // Enqueues a record (inside the open transaction, if any).
  virtual absl::Status Produce(const OutgoingRecord& record) = 0;

  // Produces every record and waits until each is acknowledged or failed. OK only if
  // all were delivered; otherwise the first failure.
  virtual absl::Status ProduceAndWait(const std::vector<OutgoingRecord>& records, absl::Duration timeout) = 0;

  virtual absl::Status BeginTransaction() = 0;
  // Adds a consumer's offsets to the open transaction (consume-transform-produce).
  virtual absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                                const GroupMetadata& group, absl::Duration timeout) = 0;
  virtual absl::Status CommitTransaction(absl::Duration timeout) = 0;
  virtual absl::Status AbortTransaction(absl::Duration timeout) = 0;
};

}  // namespace retention::kafka
