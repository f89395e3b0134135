// Producer over librdkafka: idempotent always, transactional when given a
// transactional id. Delivery reports are checked: ProduceAndWait tells whether every
// record of a call is on the broker; a transaction commits only if all its records did.
// Thread-safe for Produce/ProduceAndWait; transactions from one thread.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "libs/kafka/producer.h"

namespace RdKafka {
class Producer;
}  // namespace RdKafka

namespace retention::kafka {

class DeliveryReporter;
namespace internal {
class ClientEvents;
}  // namespace internal

class KafkaProducer final : public Producer {
 public:
  static absl::StatusOr<std::unique_ptr<KafkaProducer>> Create(const ProducerOptions& options,
                                                               absl::Duration startup_timeout);
  ~KafkaProducer() override;

  absl::Status Produce(const OutgoingRecord& record) override;
  absl::Status ProduceAndWait(const std::vector<OutgoingRecord>& records, absl::Duration timeout) override;
  absl::Status BeginTransaction() override;
  absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets, const GroupMetadata& group,
                                        absl::Duration timeout) override;
  absl::Status CommitTransaction(absl::Duration timeout) override;
  absl::Status AbortTransaction(absl::Duration timeout) override;

 private:
  KafkaProducer() = default;

  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<internal::ClientEvents> events_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

}  // namespace retention::kafka
