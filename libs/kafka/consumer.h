// A Kafka consumer for batch processing, over librdkafka's KafkaConsumer: consumer
// groups with cooperative-sticky rebalancing, read_committed, and no automatic commits.
// The caller commits (or hands offsets to a producer transaction) only once a batch's
// effect is durable. Used from one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/kafka/settings.h"

namespace RdKafka {
class KafkaConsumer;
class ConsumerGroupMetadata;
}  // namespace RdKafka

namespace retention::kafka {

class RebalanceHandler;
namespace internal {
class ClientEvents;
}  // namespace internal

struct ConsumerOptions {
  KafkaSettings kafka;
  std::string group_id;
  std::vector<std::string> topics;
  // Static group membership (group.instance.id): a replica restarted under the same id
  // takes its partitions back at once instead of waiting out the session timeout.
  std::string group_instance_id;
  absl::Duration session_timeout = absl::Seconds(10);
  // Called when partitions are assigned, before fetching starts; it may set each
  // partition's start offset (e.g. from state stored beside the data). Offsets left at
  // kUseCommitted start from the group's committed offset.
  std::function<void(std::vector<TopicPartitionOffset>&)> on_assigned;
  // Called when partitions are revoked or lost.
  std::function<void(const std::vector<TopicPartitionOffset>&)> on_revoked;
};

inline constexpr int64_t kUseCommitted = -1000;  // RD_KAFKA_OFFSET_STORED

class KafkaConsumer {
 public:
  // Creates the consumer and subscribes; fails with the broker's error if the brokers
  // cannot be reached within `startup_timeout`.
  static absl::StatusOr<std::unique_ptr<KafkaConsumer>> Create(const ConsumerOptions& options,
                                                               absl::Duration startup_timeout);
  ~KafkaConsumer();

  // Waits up to `max_wait` for a first record, then takes what has already arrived, up
  // to `max_records`. Records of partitions revoked meanwhile are dropped from the batch
  // (their new owner reads them from the committed offset). UNAVAILABLE when the
  // client reported the brokers unreachable and nothing arrived; the consumer keeps
  // reconnecting by itself.
  absl::StatusOr<std::vector<ConsumedRecord>> PollBatch(size_t max_records, absl::Duration max_wait);

  // Commits offsets synchronously (for processors that do not use transactions).
  absl::Status Commit(const std::vector<TopicPartitionOffset>& offsets);

  // Moves the fetch position back, e.g. to re-read a batch whose transaction aborted.
  // Partitions no longer assigned are skipped.
  absl::Status Seek(const std::vector<TopicPartitionOffset>& offsets);

  // Asks the brokers for metadata: OK once they answer again.
  absl::Status CheckBrokers(absl::Duration timeout);

  // For KafkaProducer::SendOffsetsToTransaction. Owned by the caller.
  std::unique_ptr<RdKafka::ConsumerGroupMetadata> GroupMetadata();

  // Records behind the high watermark, summed over assigned partitions, from the
  // broker's last fetch response (no round trip).
  int64_t Lag();

  // Leaves the group cleanly (revokes partitions, so that others take over at once).
  void Close();

 private:
  friend class RebalanceHandler;
  KafkaConsumer() = default;

  std::unique_ptr<RebalanceHandler> rebalance_;
  std::unique_ptr<internal::ClientEvents> events_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  ConsumerOptions options_;
  // Next offset per assigned partition, as far as this consumer has read.
  std::map<std::pair<std::string, int32_t>, int64_t> positions_;
  std::set<std::pair<std::string, int32_t>> revoked_in_poll_;
  bool closed_ = false;
};

}  // namespace retention::kafka
