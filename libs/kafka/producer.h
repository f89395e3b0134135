// A Kafka producer over librdkafka: idempotent always, transactional when given a
// transactional id. Delivery reports are checked: ProduceAndWait tells whether every
// record of a call is on the broker; a transaction commits only if all its records did.
// Thread-safe for Produce/ProduceAndWait; transactions from one thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/kafka/settings.h"

namespace RdKafka {
class Producer;
}  // namespace RdKafka

namespace retention::kafka {

class KafkaConsumer;
class DeliveryReporter;
namespace internal {
class ClientEvents;
}  // namespace internal

struct ProducerOptions {
  KafkaSettings kafka;
  // Empty: idempotent producer without transactions.
  std::string transactional_id;
  // How long a record may wait for delivery (message.timeout.ms / transaction timeout).
  absl::Duration delivery_timeout = absl::Seconds(30);
  // linger.ms: how long to wait to fill a batch.
  absl::Duration linger = absl::Milliseconds(5);
};

// Status codes of transaction calls:
//   ABORTED      the transaction must be aborted and the batch retried;
//   UNAVAILABLE  the same call may be retried (e.g. the broker is away);
//   INTERNAL     fatal for this producer (e.g. fenced by a newer instance): recreate it.
class KafkaProducer {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaProducer>> Create(const ProducerOptions& options,
                                                               absl::Duration startup_timeout);
  ~KafkaProducer();

  // Enqueues a record. Waits while the local queue is full.
  absl::Status Produce(const OutgoingRecord& record);

  // Produces every record and waits until each is acknowledged or failed. OK only if
  // all were delivered; otherwise the first failure.
  absl::Status ProduceAndWait(const std::vector<OutgoingRecord>& records, absl::Duration timeout);

  absl::Status BeginTransaction();
  // Adds the consumer's offsets to the open transaction (consume-transform-produce).
  absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                        KafkaConsumer& consumer, absl::Duration timeout);
  absl::Status CommitTransaction(absl::Duration timeout);
  absl::Status AbortTransaction(absl::Duration timeout);

 private:
  KafkaProducer() = default;

  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<internal::ClientEvents> events_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

}  // namespace retention::kafka
