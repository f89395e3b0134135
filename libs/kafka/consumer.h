// What the suite needs of a Kafka consumer, as a small interface: the real client
// (KafkaConsumer, over librdkafka) and an in-memory fake (FakeKafka) implement it, so
// that the loops carrying the delivery guarantees get fast unit tests of crash, retry,
// rebalance and fencing. Used from one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/kafka/settings.h"

namespace retention::kafka {

// A consumer group's generation, for offsets committed inside a producer transaction.
class GroupMetadata {
 public:
  virtual ~GroupMetadata() = default;
};

// How a group spreads partitions over its members.
enum class Assignment {
  // Incremental (cooperative-sticky): for readers that keep no state per partition.
  kCooperative,
  // Partition p of every subscribed topic to the same member (the range assignor with
  // equal partition counts): for stateful services that read several topics keyed by
  // account, so that all of one account's inputs reach one replica.
  kCoPartitioned,
};

struct ConsumerOptions {
  KafkaSettings kafka;
  std::string group_id;
  std::vector<std::string> topics;
  // Static group membership (group.instance.id): a replica restarted under the same id
  // takes its partitions back at once instead of waiting out the session timeout.
  std::string group_instance_id;
  absl::Duration session_timeout = absl::Seconds(10);
  // How long Close waits to leave the group cleanly before giving up on it (the group
  // then drops this member when its session times out).
  absl::Duration close_timeout = absl::Seconds(10);
  Assignment assignment = Assignment::kCooperative;
  // Where to start a partition without a committed offset: "earliest" or "latest".
  std::string auto_offset_reset = "earliest";
  // Called (inside PollBatch) when partitions are assigned, before fetching starts; it
  // may set each partition's start offset. Offsets left at kNoOffset start from the
  // group's committed offset.
  std::function<void(std::vector<TopicPartitionOffset>& assigned)> on_assigned;
  // Called (inside PollBatch) when partitions are revoked; `lost` when they were taken
  // without a clean hand-over (session timeout, fencing).
  std::function<void(const std::vector<TopicPartition>& revoked, bool lost)> on_revoked;
};

class Consumer {
 public:
  virtual ~Consumer() = default;

  // Waits up to `max_wait` for a first record, then takes what has already arrived, up
  // to `max_records`. Records of partitions revoked meanwhile are dropped. UNAVAILABLE
  // when the brokers are unreachable and nothing arrived.
  virtual absl::StatusOr<std::vector<ConsumedRecord>> PollBatch(size_t max_records, absl::Duration max_wait) = 0;

  // Commits offsets synchronously. FAILED_PRECONDITION when this member no longer owns
  // the partitions (a rebalance happened).
  virtual absl::Status Commit(const std::vector<TopicPartitionOffset>& offsets) = 0;

  // The group's committed offsets (kNoOffset where none).
  virtual absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(const std::vector<TopicPartition>& partitions,
                                                                      absl::Duration timeout) = 0;

  // Moves the fetch position of assigned partitions (others are skipped).
  virtual absl::Status Seek(const std::vector<TopicPartitionOffset>& offsets) = 0;
  virtual absl::Status Pause(const std::vector<TopicPartition>& partitions) = 0;
  virtual absl::Status Resume(const std::vector<TopicPartition>& partitions) = 0;

  // The next offset to read of each assigned partition, as far as known: past the last
  // record returned, or past transaction markers once the end was reached.
  virtual std::map<TopicPartition, int64_t> Positions() = 0;

  // Records not yet read per assigned partition, from the last fetch (no round trip).
  virtual std::map<TopicPartition, int64_t> Lags() = 0;
  int64_t Lag() {
    int64_t total = 0;
    for (const auto& [tp, lag] : Lags()) total += lag;
    return total;
  }

  // Asks the brokers for metadata: OK once they answer.
  virtual absl::Status CheckBrokers(absl::Duration timeout) = 0;

  // For Producer::SendOffsetsToTransaction.
  virtual std::unique_ptr<GroupMetadata> GroupInfo() = 0;

  // Leaves the group cleanly (revokes partitions, so that others take over at once).
  virtual void Close() = 0;
};

}  // namespace retention::kafka
