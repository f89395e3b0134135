#include "libs/kafka/fake_kafka.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/partitioner.h"

namespace retention::kafka {
namespace {

class FakeGroupMetadata final : public GroupMetadata {
 public:
  FakeGroupMetadata(std::string group, int64_t generation, FakeKafka::Member* member)
      : group(std::move(group)), generation(generation), member(member) {}
  std::string group;
  int64_t generation;
  FakeKafka::Member* member;
};

class FakeConsumer final : public Consumer {
 public:
  FakeConsumer(FakeKafka* kafka, const ConsumerOptions& options) : kafka_(kafka) {
    member_.options = options;
    absl::MutexLock lock(&kafka_->mu);
    FakeKafka::Group& group = kafka_->groups[options.group_id];
    group.members.push_back(&member_);
    kafka_->Rebalance(group);
  }
  ~FakeConsumer() override { Close(); }

  absl::StatusOr<std::vector<ConsumedRecord>> PollBatch(size_t max_records, absl::Duration max_wait) override {
    std::vector<TopicPartition> revoked;
    std::vector<TopicPartitionOffset> assigned;
    bool lost = false;
    {
      absl::MutexLock lock(&kafka_->mu);
      if (absl::Status s = kafka_->TakeFailure(FakeKafka::Op::kPoll); !s.ok()) return s;
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(kafka_->mu) { return Changed() || Readable(); };
      kafka_->mu.AwaitWithTimeout(absl::Condition(&ready), max_wait);
      if (member_.closed) return std::vector<ConsumedRecord>{};
      if (member_.expelled) {  // rejoin, as a consumer does when it polls again
        member_.expelled = false;
        FakeKafka::Group& group = Group();
        group.members.push_back(&member_);
        kafka_->Rebalance(group);
      }
      if (Changed()) {
        // Eager: everything is revoked, then the new assignment is given.
        lost = member_.lost_pending;
        member_.lost_pending = false;
        revoked.assign(member_.applied.begin(), member_.applied.end());
        for (const TopicPartition& tp : member_.assigned) assigned.push_back({tp.topic, tp.partition, kNoOffset});
        member_.applied = member_.assigned;
        member_.generation = Group().generation;
        member_.positions.clear();
        member_.paused.clear();
      }
    }
    // The callbacks run unlocked: they may call this consumer.
    if (!revoked.empty() && member_.options.on_revoked) member_.options.on_revoked(revoked, lost);
    if (!assigned.empty() && member_.options.on_assigned) member_.options.on_assigned(assigned);
    absl::MutexLock lock(&kafka_->mu);
    for (const TopicPartitionOffset& tpo : assigned) {
      const TopicPartition tp{tpo.topic, tpo.partition};
      if (member_.applied.count(tp) == 0) continue;
      int64_t start = tpo.offset == kNoOffset ? kNoOffset : Resolve(tpo);
      if (start < 0) {
        auto committed = Group().committed.find(tp);
        if (committed != Group().committed.end()) {
          start = committed->second;
        } else {
          start = member_.options.auto_offset_reset == "latest" ? kafka_->EndOffset(tp.topic, tp.partition) : 0;
        }
      }
      member_.positions[tp] = start;
    }
    std::vector<ConsumedRecord> batch;
    // Round robin over partitions, a few records at a time, so topics interleave.
    bool progress = true;
    while (batch.size() < max_records && progress) {
      progress = false;
      for (auto& [tp, position] : member_.positions) {
        if (member_.paused.count(tp) > 0) continue;
        const auto& log = kafka_->topics[tp.topic][tp.partition];
        for (int taken = 0; taken < 16 && batch.size() < max_records && position < static_cast<int64_t>(log.size());) {
          const FakeKafka::Entry& e = log[position++];
          progress = true;
          if (!e.readable) continue;
          batch.push_back(e.record);
          ++taken;
        }
      }
    }
    return batch;
  }

  absl::Status Commit(const std::vector<TopicPartitionOffset>& offsets) override {
    absl::MutexLock lock(&kafka_->mu);
    if (absl::Status s = kafka_->TakeFailure(FakeKafka::Op::kCommit); !s.ok()) return s;
    if (member_.expelled || member_.generation != Group().generation) {
      return absl::FailedPreconditionError("kafka commit: the group rebalanced (illegal generation)");
    }
    for (const TopicPartitionOffset& tpo : offsets) {
      if (member_.assigned.count({tpo.topic, tpo.partition}) == 0) {
        return absl::FailedPreconditionError(absl::StrCat("kafka commit: ", tpo.topic, "/", tpo.partition, " is not assigned"));
      }
    }
    for (const TopicPartitionOffset& tpo : offsets) Group().committed[{tpo.topic, tpo.partition}] = tpo.offset;
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<TopicPartitionOffset>> Committed(const std::vector<TopicPartition>& partitions,
                                                              absl::Duration) override {
    absl::MutexLock lock(&kafka_->mu);
    if (absl::Status s = kafka_->TakeFailure(FakeKafka::Op::kCommitted); !s.ok()) return s;
    std::vector<TopicPartitionOffset> out;
    for (const TopicPartition& tp : partitions) {
      auto it = Group().committed.find(tp);
      out.push_back({tp.topic, tp.partition, it == Group().committed.end() ? kNoOffset : it->second});
    }
    return out;
  }

  absl::Status Seek(const std::vector<TopicPartitionOffset>& offsets) override {
    absl::MutexLock lock(&kafka_->mu);
    for (const TopicPartitionOffset& tpo : offsets) {
      auto it = member_.positions.find({tpo.topic, tpo.partition});
      if (it != member_.positions.end()) it->second = Resolve(tpo);
    }
    return absl::OkStatus();
  }
  absl::Status Pause(const std::vector<TopicPartition>& partitions) override {
    absl::MutexLock lock(&kafka_->mu);
    member_.paused.insert(partitions.begin(), partitions.end());
    return absl::OkStatus();
  }
  absl::Status Resume(const std::vector<TopicPartition>& partitions) override {
    absl::MutexLock lock(&kafka_->mu);
    for (const TopicPartition& tp : partitions) member_.paused.erase(tp);
    return absl::OkStatus();
  }

  std::map<TopicPartition, int64_t> Positions() override {
    absl::MutexLock lock(&kafka_->mu);
    std::map<TopicPartition, int64_t> out;
    for (const auto& [tp, position] : member_.positions) {
      // A reader at the end has passed the markers there.
      int64_t p = position;
      const auto& log = kafka_->topics[tp.topic][tp.partition];
      while (p < static_cast<int64_t>(log.size()) && !log[p].readable) ++p;
      out[tp] = p == static_cast<int64_t>(log.size()) ? p : position;
    }
    return out;
  }
  std::map<TopicPartition, int64_t> Lags() override {
    std::map<TopicPartition, int64_t> out;
    for (const auto& [tp, position] : Positions()) {
      absl::MutexLock lock(&kafka_->mu);
      out[tp] = kafka_->EndOffset(tp.topic, tp.partition) - position;
    }
    return out;
  }
  absl::Status CheckBrokers(absl::Duration) override { return absl::OkStatus(); }
  std::unique_ptr<kafka::GroupMetadata> GroupInfo() override {
    absl::MutexLock lock(&kafka_->mu);
    return std::make_unique<FakeGroupMetadata>(member_.options.group_id, member_.generation, &member_);
  }
  void Close() override {
    absl::MutexLock lock(&kafka_->mu);
    if (member_.closed) return;
    member_.closed = true;
    kafka_->Leave(&member_);
  }

  FakeKafka::Member* member() { return &member_; }

 private:
  // librdkafka's logical offsets: -2 the beginning, -1 the end.
  int64_t Resolve(const TopicPartitionOffset& tpo) ABSL_EXCLUSIVE_LOCKS_REQUIRED(kafka_->mu) {
    if (tpo.offset == -2) return 0;
    if (tpo.offset == -1) return kafka_->EndOffset(tpo.topic, tpo.partition);
    return tpo.offset;
  }
  FakeKafka::Group& Group() ABSL_EXCLUSIVE_LOCKS_REQUIRED(kafka_->mu) { return kafka_->groups[member_.options.group_id]; }
  bool Changed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(kafka_->mu) {
    return member_.expelled || member_.lost_pending || member_.applied != member_.assigned ||
           member_.generation != Group().generation;
  }
  bool Readable() ABSL_EXCLUSIVE_LOCKS_REQUIRED(kafka_->mu) {
    for (const auto& [tp, position] : member_.positions) {
      if (member_.paused.count(tp) > 0) continue;
      const auto& log = kafka_->topics[tp.topic][tp.partition];
      for (int64_t p = position; p < static_cast<int64_t>(log.size()); ++p) {
        if (log[p].readable) return true;
      }
    }
    return false;
  }

  FakeKafka* kafka_;
  FakeKafka::Member member_;
};

class FakeProducer final : public Producer {
 public:
  FakeProducer(FakeKafka* kafka, const ProducerOptions& options) : kafka_(kafka), options_(options) {
    if (options_.transactional_id.empty()) return;
    absl::MutexLock lock(&kafka_->mu);
    epoch_ = ++kafka_->producer_epochs[options_.transactional_id];
  }

  absl::Status Produce(const OutgoingRecord& record) override {
    absl::MutexLock lock(&kafka_->mu);
    if (absl::Status s = kafka_->TakeFailure(FakeKafka::Op::kProduce); !s.ok()) return s;
    if (absl::Status s = kafka_->CheckRecord(record); !s.ok()) return s;
    if (in_transaction_) {
      staged_.push_back(record);
    } else {
      kafka_->AppendLocked(record, true);
    }
    return absl::OkStatus();
  }

  absl::Status ProduceAndWait(const std::vector<OutgoingRecord>& records, absl::Duration) override {
    for (const OutgoingRecord& r : records) {
      if (absl::Status s = Produce(r); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status BeginTransaction() override {
    absl::MutexLock lock(&kafka_->mu);
    if (Fenced()) return FencedError();
    if (absl::Status s = kafka_->TakeFailure(FakeKafka::Op::kBeginTransaction); !s.ok()) return s;
    in_transaction_ = true;
    return absl::OkStatus();
  }

  absl::Status SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets, const GroupMetadata& group,
                                        absl::Duration) override {
    absl::MutexLock lock(&kafka_->mu);
    if (Fenced()) return FencedError();
    if (absl::Status s = kafka_->TakeFailure(FakeKafka::Op::kSendOffsets); !s.ok()) return s;
    const auto& metadata = static_cast<const FakeGroupMetadata&>(group);
    if (metadata.generation != kafka_->groups[metadata.group].generation || metadata.member->expelled) {
      return absl::AbortedError("kafka send offsets to transaction: the group rebalanced (illegal generation)");
    }
    staged_group_ = metadata.group;
    for (const TopicPartitionOffset& tpo : offsets) staged_offsets_[{tpo.topic, tpo.partition}] = tpo.offset;
    return absl::OkStatus();
  }

  absl::Status CommitTransaction(absl::Duration) override {
    absl::MutexLock lock(&kafka_->mu);
    if (Fenced()) return FencedError();
    if (absl::Status s = kafka_->TakeFailure(FakeKafka::Op::kCommitTransaction); !s.ok()) return s;
    Finish(true);
    return absl::OkStatus();
  }

  absl::Status AbortTransaction(absl::Duration) override {
    absl::MutexLock lock(&kafka_->mu);
    if (Fenced()) return FencedError();
    Finish(false);
    return absl::OkStatus();
  }

 private:
  bool Fenced() ABSL_EXCLUSIVE_LOCKS_REQUIRED(kafka_->mu) {
    return !options_.transactional_id.empty() && kafka_->producer_epochs[options_.transactional_id] != epoch_;
  }
  static absl::Status FencedError() {
    return absl::InternalError("kafka transaction: producer fenced by a newer instance with the same transactional id");
  }
  // Appends the staged records (readable or not) and a marker on every partition touched.
  void Finish(bool commit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(kafka_->mu) {
    std::set<TopicPartition> touched;
    for (const OutgoingRecord& r : staged_) {
      const int32_t p = kafka_->PartitionOf(r);
      OutgoingRecord placed = r;
      placed.partition = p;
      kafka_->AppendLocked(placed, commit);
      touched.insert({r.topic, p});
    }
    for (const TopicPartition& tp : touched) {
      OutgoingRecord marker{tp.topic, "", "", {}, tp.partition};
      kafka_->AppendLocked(marker, false);
    }
    if (commit && !staged_group_.empty()) {
      for (const auto& [tp, offset] : staged_offsets_) kafka_->groups[staged_group_].committed[tp] = offset;
    }
    staged_.clear();
    staged_offsets_.clear();
    staged_group_.clear();
    in_transaction_ = false;
  }

  FakeKafka* kafka_;
  ProducerOptions options_;
  int64_t epoch_ = 0;
  bool in_transaction_ = false;
  std::vector<OutgoingRecord> staged_;
  std::string staged_group_;
  std::map<TopicPartition, int64_t> staged_offsets_;
};

}  // namespace

void FakeKafka::CreateTopic(const std::string& name, int partitions) {
  absl::MutexLock lock(&mu);
  topics[name].resize(static_cast<size_t>(partitions));
}

int FakeKafka::partitions(const std::string& topic) {
  absl::MutexLock lock(&mu);
  return static_cast<int>(topics[topic].size());
}

int32_t FakeKafka::PartitionOf(const OutgoingRecord& record) {
  if (record.partition != kPartitionByKey) return record.partition;
  return PartitionForKey(record.key, static_cast<int32_t>(topics[record.topic].size()));
}

absl::Status FakeKafka::CheckRecord(const OutgoingRecord& record) {
  auto it = topics.find(record.topic);
  if (it == topics.end() || it->second.empty()) {
    return absl::NotFoundError(absl::StrCat("kafka produce: unknown topic ", record.topic));
  }
  size_t size = record.key.size() + record.value.size();
  for (const Header& h : record.headers) size += h.key.size() + h.value.size();
  if (size > max_message_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat("kafka produce to ", record.topic, ": message of ", size,
                                                   " bytes is larger than the limit of ", max_message_bytes_));
  }
  return absl::OkStatus();
}

int64_t FakeKafka::AppendLocked(const OutgoingRecord& record, bool readable) {
  const int32_t p = PartitionOf(record);
  auto& log = topics[record.topic][static_cast<size_t>(p)];
  Entry e;
  e.readable = readable;
  e.record.topic = record.topic;
  e.record.partition = p;
  e.record.offset = static_cast<int64_t>(log.size());
  e.record.key = record.key;
  e.record.value = record.value;
  e.record.headers = record.headers;
  e.record.timestamp_ms = absl::ToUnixMillis(absl::Now());
  log.push_back(std::move(e));
  return log.back().record.offset;
}

int64_t FakeKafka::Append(const OutgoingRecord& record) {
  absl::MutexLock lock(&mu);
  return AppendLocked(record, true);
}

std::vector<ConsumedRecord> FakeKafka::Records(const std::string& topic) {
  absl::MutexLock lock(&mu);
  std::vector<ConsumedRecord> out;
  for (const auto& log : topics[topic]) {
    for (const Entry& e : log) {
      if (e.readable) out.push_back(e.record);
    }
  }
  return out;
}

int64_t FakeKafka::EndOffset(const std::string& topic, int32_t partition) {
  return static_cast<int64_t>(topics[topic][static_cast<size_t>(partition)].size());
}

int64_t FakeKafka::CommittedOffset(const std::string& group, const std::string& topic, int32_t partition) {
  absl::MutexLock lock(&mu);
  auto& committed = groups[group].committed;
  auto it = committed.find({topic, partition});
  return it == committed.end() ? kNoOffset : it->second;
}

std::unique_ptr<Consumer> FakeKafka::NewConsumer(const ConsumerOptions& options) {
  return std::make_unique<FakeConsumer>(this, options);
}

std::unique_ptr<Producer> FakeKafka::NewProducer(const ProducerOptions& options) {
  return std::make_unique<FakeProducer>(this, options);
}

void FakeKafka::FailNext(Op op, absl::Status status, int count) {
  absl::MutexLock lock(&mu);
  for (int i = 0; i < count; ++i) failures[op].push_back(status);
}

absl::Status FakeKafka::TakeFailure(Op op) {
  auto& queue = failures[op];
  if (queue.empty()) return absl::OkStatus();
  absl::Status s = queue.front();
  queue.pop_front();
  return s;
}

void FakeKafka::Expel(Consumer* consumer) {
  auto* member = static_cast<FakeConsumer*>(consumer)->member();
  absl::MutexLock lock(&mu);
  Leave(member);
  member->expelled = true;
  member->lost_pending = true;
}

void FakeKafka::Leave(Member* member) {
  Group& group = groups[member->options.group_id];
  group.members.erase(std::remove(group.members.begin(), group.members.end(), member), group.members.end());
  member->assigned.clear();
  Rebalance(group);
}

void FakeKafka::Rebalance(Group& group) {
  ++group.generation;
  for (Member* m : group.members) m->assigned.clear();
  if (group.members.empty()) return;
  // Range: for each topic, consecutive partitions per member, in join order. With
  // equal partition counts, partition p of every topic goes to the same member.
  const size_t n = group.members.size();
  for (const std::string& topic : group.members[0]->options.topics) {
    const size_t partitions = topics[topic].size();
    const size_t each = partitions / n;
    const size_t extra = partitions % n;
    size_t next = 0;
    for (size_t i = 0; i < n; ++i) {
      const size_t count = each + (i < extra ? 1 : 0);
      for (size_t j = 0; j < count; ++j) group.members[i]->assigned.insert({topic, static_cast<int32_t>(next++)});
    }
  }
}

}  // namespace retention::kafka
