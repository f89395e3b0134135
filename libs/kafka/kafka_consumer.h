// Consumer over librdkafka's KafkaConsumer: consumer groups (cooperative, or
// co-partitioned with the range assignor), read_committed, and no automatic commits:
// the caller commits (or hands offsets to a producer transaction) only once a batch's
// effect is durable. Used from one thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "libs/kafka/consumer.h"

namespace RdKafka {
class KafkaConsumer;
}  // namespace RdKafka

namespace retention::kafka {

class RebalanceHandler;
namespace internal {
class ClientEvents;
}  // namespace internal

class KafkaConsumer final : public Consumer {
 public:
  // Creates the consumer and subscribes; fails with the broker's error if the brokers
  // cannot be reached within `startup_timeout`.
  static absl::StatusOr<std::unique_ptr<KafkaConsumer>> Create(const ConsumerOptions& options,
                                                               absl::Duration startup_timeout);
  ~KafkaConsumer() override;

  absl::StatusOr<std::vector<ConsumedRecord>> PollBatch(size_t max_records, absl::Duration max_wait) override;
  absl::Status Commit(const std::vector<TopicPartitionOffset>& offsets) override;
  absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(const std::vector<TopicPartition>& partitions,
                                                              absl::Duration timeout) override;
  absl::Status Seek(const std::vector<TopicPartitionOffset>& offsets) override;
  absl::Status Pause(const std::vector<TopicPartition>& partitions) override;
  absl::Status Resume(const std::vector<TopicPartition>& partitions) override;
  std::map<TopicPartition, int64_t> Positions() override { return positions_; }
  std::map<TopicPartition, int64_t> Lags() override;
  absl::Status CheckBrokers(absl::Duration timeout) override;
  std::unique_ptr<kafka::GroupMetadata> GroupInfo() override;
  void Close() override;

 private:
  friend class RebalanceHandler;
  KafkaConsumer() = default;

  std::unique_ptr<RebalanceHandler> rebalance_;
  std::unique_ptr<internal::ClientEvents> events_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  ConsumerOptions options_;
  // Next offset per assigned partition, as far as this consumer has read.
  std::map<TopicPartition, int64_t> positions_;
  std::set<TopicPartition> revoked_in_poll_;
  bool closed_ = false;
};

}  // namespace retention::kafka
