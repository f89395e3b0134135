// An in-memory Kafka for unit tests of the loops that carry the delivery guarantees:
// topics with partitions (keys placed by the murmur2 partitioner, like every producer
// of the suite), consumer groups with eager range assignment and committed offsets,
// transactions (staged records and offsets, markers that take an offset but are never
// read), fencing of a producer by a newer one with the same transactional id, a
// record-size limit, zombies (a member expelled from its group that has not noticed),
// and injected failures. Not a model of timing: nothing here is slow.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"

namespace retention::kafka {

class FakeKafka {
 public:
  // Calls that can be made to fail.
  enum class Op { kPoll, kCommit, kCommitted, kProduce, kBeginTransaction, kSendOffsets, kCommitTransaction };

  explicit FakeKafka(size_t max_message_bytes = 1 << 20) : max_message_bytes_(max_message_bytes) {}

  void CreateTopic(const std::string& name, int partitions);
  int partitions(const std::string& topic);

  // Appends a record as a plain producer would; returns its offset.
  int64_t Append(const OutgoingRecord& record);
  // Every readable record of `topic` (committed, not aborted), by partition then offset.
  std::vector<ConsumedRecord> Records(const std::string& topic);
  // The offset after the last entry of a partition (markers included).
  int64_t EndOffset(const std::string& topic, int32_t partition);
  // The group's committed offset of a partition, or kNoOffset.
  int64_t CommittedOffset(const std::string& group, const std::string& topic, int32_t partition);

  std::unique_ptr<Consumer> NewConsumer(const ConsumerOptions& options);
  std::unique_ptr<Producer> NewProducer(const ProducerOptions& options);

  // The next `count` calls of `op` (from any client) fail with `status`.
  void FailNext(Op op, absl::Status status, int count = 1);
  // Takes `consumer` out of its group, as a session timeout does: the others get its
  // partitions at once; it finds out at its next poll (until then it is a zombie, and
  // its commits fail).
  void Expel(Consumer* consumer);

  // Internal state, for the clients (public so that they can reach it).
  struct Entry {
    ConsumedRecord record;
    bool readable = true;  // false: a transaction marker, or an aborted record
  };
  struct Member;
  struct Group {
    std::vector<Member*> members;  // in join order
    int64_t generation = 0;
    std::map<TopicPartition, int64_t> committed;
  };
  struct Member {
    ConsumerOptions options;
    std::set<TopicPartition> assigned;  // as the broker sees it
    std::set<TopicPartition> applied;   // as the member has been told
    int64_t generation = 0;             // of the assignment the member was told
    bool expelled = false;
    bool lost_pending = false;
    bool closed = false;
    std::map<TopicPartition, int64_t> positions;
    std::set<TopicPartition> paused;
  };

  absl::Mutex mu;
  std::map<std::string, std::vector<std::vector<Entry>>> topics ABSL_GUARDED_BY(mu);
  std::map<std::string, Group> groups ABSL_GUARDED_BY(mu);
  std::map<std::string, int64_t> producer_epochs ABSL_GUARDED_BY(mu);  // transactional id -> epoch
  std::map<Op, std::deque<absl::Status>> failures ABSL_GUARDED_BY(mu);
  const size_t max_message_bytes_;

  absl::Status TakeFailure(Op op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  int64_t AppendLocked(const OutgoingRecord& record, bool readable) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  int32_t PartitionOf(const OutgoingRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  absl::Status CheckRecord(const OutgoingRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Rebalance(Group& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void Leave(Member* member) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

}  // namespace retention::kafka
