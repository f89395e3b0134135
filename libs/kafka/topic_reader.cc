#include "libs/kafka/topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/internal/conf.h"
#include "libs/kafka/internal/message.h"
#include "libs/status/status_macros.h"

namespace retention::kafka {
namespace {

// A consumer assigned by hand to every partition of one topic (no group membership:
// the group id is only required by the client), reading with read_committed.
class PartitionReader {
 public:
  ~PartitionReader() {
    RdKafka::TopicPartition::destroy(partitions_);
    if (consumer_) consumer_->close();
  }

  // Positions every partition at `since` (by record timestamps; the end where nothing
  // is that recent), or at the beginning when `since` is InfinitePast.
  // `only`: that partition alone (-1: every one).
  static absl::StatusOr<std::unique_ptr<PartitionReader>> Open(const KafkaSettings& kafka, const std::string& topic,
                                                               absl::Time since, int32_t only = -1) {
    RETENTION_ASSIGN_OR_RETURN(auto conf,
                               internal::MakeConf(kafka, {{"group.id", absl::StrCat("retention-reader-", std::random_device{}())},
                                                          {"isolation.level", "read_committed"},
                                                          {"enable.auto.commit", "false"},
                                                          {"enable.partition.eof", "true"},
                                                          {"log_level", "3"}}));
    std::unique_ptr<PartitionReader> self(new PartitionReader());
    std::string error;
    self->consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
    if (!self->consumer_) return absl::InternalError(error);
    std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(self->consumer_.get(), topic, nullptr, error));
    RdKafka::Metadata* raw_metadata = nullptr;
    const RdKafka::ErrorCode code = self->consumer_->metadata(false, handle.get(), &raw_metadata, 10000);
    std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
    if (code != RdKafka::ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("Kafka brokers ", kafka.brokers, ": ", RdKafka::err2str(code)));
    }
    if (metadata->topics()->empty() || metadata->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
      return absl::NotFoundError(absl::StrCat("topic ", topic, " not found on ", kafka.brokers));
    }
    const bool from_start = since == absl::InfinitePast();
    for (const auto* p : *metadata->topics()->at(0)->partitions()) {
      if (only >= 0 && p->id() != only) continue;
      self->partitions_.push_back(RdKafka::TopicPartition::create(
          topic, p->id(), from_start ? RdKafka::Topic::OFFSET_BEGINNING : absl::ToUnixMillis(since)));
    }
    if (self->partitions_.empty()) return absl::NotFoundError(absl::StrCat("topic ", topic, " has no partition ", only));
    if (!from_start) {
      RETENTION_RETURN_IF_ERROR(
          internal::FromCode(self->consumer_->offsetsForTimes(self->partitions_, 10000), "offsets for times"));
      for (RdKafka::TopicPartition* tp : self->partitions_) {
        if (tp->offset() < 0) tp->set_offset(RdKafka::Topic::OFFSET_END);  // nothing that recent
      }
    }
    RETENTION_RETURN_IF_ERROR(internal::FromCode(self->consumer_->assign(self->partitions_), absl::StrCat("assign ", topic)));
    return self;
  }

  // The next record, or nullopt after `wait` without one; notes partitions read to their end.
  std::optional<ConsumedRecord> Next(absl::Duration wait) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(static_cast<int>(absl::ToInt64Milliseconds(wait))));
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end_.insert(msg->partition());
      return std::nullopt;
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) return std::nullopt;
    at_end_.erase(msg->partition());
    return internal::ToRecord(*msg);
  }

  bool AtEnd() const { return at_end_.size() == partitions_.size(); }

  absl::StatusOr<std::map<int32_t, int64_t>> EndOffsets(absl::Duration timeout) {
    std::map<int32_t, int64_t> out;
    for (const RdKafka::TopicPartition* tp : partitions_) {
      int64_t low = 0, high = 0;
      RETENTION_RETURN_IF_ERROR(internal::FromCode(
          consumer_->query_watermark_offsets(tp->topic(), tp->partition(), &low, &high,
                                             static_cast<int>(absl::ToInt64Milliseconds(timeout))),
          absl::StrCat("watermarks of ", tp->topic(), "/", tp->partition())));
      out[tp->partition()] = high;
    }
    return out;
  }

 private:
  PartitionReader() = default;

  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::vector<RdKafka::TopicPartition*> partitions_;
  std::set<int32_t> at_end_;
};

}  // namespace

absl::StatusOr<std::vector<ConsumedRecord>> ReadTopicToEnd(const KafkaSettings& kafka, const std::string& topic,
                                                           size_t min_records, absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto reader, PartitionReader::Open(kafka, topic, absl::InfinitePast()));
  std::vector<ConsumedRecord> out;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && !(reader->AtEnd() && out.size() >= min_records)) {
    if (auto record = reader->Next(absl::Milliseconds(200))) out.push_back(*std::move(record));
  }
  return out;
}

namespace {

absl::Status ReadToEnd(PartitionReader& reader, const std::string& topic,
                       const std::function<absl::Status(const std::vector<ConsumedRecord>&)>& handle,
                       absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<ConsumedRecord> batch;
  while (!reader.AtEnd()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("reading ", topic, " did not finish in time"));
    }
    std::optional<ConsumedRecord> record = reader.Next(absl::Milliseconds(200));
    if (record.has_value()) batch.push_back(*std::move(record));
    if (batch.size() >= 5000 || (!batch.empty() && !record.has_value())) {
      RETENTION_RETURN_IF_ERROR(handle(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) return handle(batch);
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadTopicSince(const KafkaSettings& kafka, const std::string& topic, absl::Time since,
                            const std::function<absl::Status(const std::vector<ConsumedRecord>&)>& handle,
                            absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto reader, PartitionReader::Open(kafka, topic, since));
  return ReadToEnd(*reader, topic, handle, timeout);
}

absl::Status ReadPartition(const KafkaSettings& kafka, const std::string& topic, int32_t partition,
                           const std::function<absl::Status(const std::vector<ConsumedRecord>&)>& handle,
                           absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto reader, PartitionReader::Open(kafka, topic, absl::InfinitePast(), partition));
  return ReadToEnd(*reader, topic, handle, timeout);
}

absl::StatusOr<std::map<int32_t, int64_t>> EndOffsets(const KafkaSettings& kafka, const std::string& topic,
                                                      absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto reader, PartitionReader::Open(kafka, topic, absl::InfinitePast()));
  return reader->EndOffsets(timeout);
}

absl::Status FollowTopic(const KafkaSettings& kafka, const std::string& topic,
                         const std::function<bool(const std::vector<ConsumedRecord>&)>& handle) {
  RETENTION_ASSIGN_OR_RETURN(auto reader, PartitionReader::Open(kafka, topic, absl::InfinitePast()));
  std::vector<ConsumedRecord> batch;
  while (true) {
    std::optional<ConsumedRecord> record = reader->Next(absl::Milliseconds(100));
    if (record.has_value()) {
      batch.push_back(*std::move(record));
      if (batch.size() < 1000) continue;
    }
    if (!handle(batch)) return absl::OkStatus();
    batch.clear();
  }
}

}  // namespace retention::kafka
