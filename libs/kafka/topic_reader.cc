#include "libs/kafka/topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/internal/conf.h"
#include "libs/kafka/internal/message.h"
#include "libs/status/status_macros.h"

namespace retention::kafka {

absl::StatusOr<std::vector<ConsumedRecord>> ReadTopicToEnd(const KafkaSettings& kafka, const std::string& topic,
                                                           size_t min_records, absl::Duration timeout) {
  // Partitions are assigned by hand; the group id is only required by the client.
  RETENTION_ASSIGN_OR_RETURN(auto conf, internal::MakeConf(kafka, {{"group.id", absl::StrCat("retention-reader-", std::random_device{}())},
                                                                   {"isolation.level", "read_committed"},
                                                                   {"enable.auto.commit", "false"},
                                                                   {"enable.partition.eof", "true"},
                                                                   {"log_level", "3"}}));
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return absl::InternalError(error);

  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  RdKafka::Metadata* raw_metadata = nullptr;
  const RdKafka::ErrorCode code = consumer->metadata(false, handle.get(), &raw_metadata, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("Kafka brokers ", kafka.brokers, ": ", RdKafka::err2str(code)));
  }
  if (metadata->topics()->empty() || metadata->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
    return absl::NotFoundError(absl::StrCat("topic ", topic, " not found on ", kafka.brokers));
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* p : *metadata->topics()->at(0)->partitions()) {
    partitions.push_back(RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
  }
  absl::Status assigned = internal::FromCode(consumer->assign(partitions), absl::StrCat("assign ", topic));
  std::vector<ConsumedRecord> out;
  std::set<int32_t> at_end;
  const absl::Time deadline = absl::Now() + timeout;
  while (assigned.ok() && absl::Now() < deadline && !(at_end.size() == partitions.size() && out.size() >= min_records)) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(msg->partition());
      continue;
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;
    at_end.erase(msg->partition());
    out.push_back(internal::ToRecord(*msg));
  }
  RdKafka::TopicPartition::destroy(partitions);
  consumer->close();
  if (!assigned.ok()) return assigned;
  return out;
}

absl::Status ReadTopicSince(const KafkaSettings& kafka, const std::string& topic, absl::Time since,
                            const std::function<absl::Status(const std::vector<ConsumedRecord>&)>& handle,
                            absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto conf, internal::MakeConf(kafka, {{"group.id", absl::StrCat("retention-reader-", std::random_device{}())},
                                                                   {"isolation.level", "read_committed"},
                                                                   {"enable.auto.commit", "false"},
                                                                   {"enable.partition.eof", "true"}}));
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return absl::InternalError(error);
  std::unique_ptr<RdKafka::Topic> handle_topic(RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  RdKafka::Metadata* raw_metadata = nullptr;
  const RdKafka::ErrorCode code = consumer->metadata(false, handle_topic.get(), &raw_metadata, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
  if (code != RdKafka::ERR_NO_ERROR || metadata->topics()->empty() ||
      metadata->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("topic ", topic, " on ", kafka.brokers, ": ", RdKafka::err2str(code)));
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* p : *metadata->topics()->at(0)->partitions()) {
    partitions.push_back(RdKafka::TopicPartition::create(topic, p->id(), absl::ToUnixMillis(since)));
  }
  const auto destroy = [&] { RdKafka::TopicPartition::destroy(partitions); };
  if (auto s = internal::FromCode(consumer->offsetsForTimes(partitions, 10000), "offsets for times"); !s.ok()) {
    destroy();
    return s;
  }
  for (RdKafka::TopicPartition* tp : partitions) {
    if (tp->offset() < 0) tp->set_offset(RdKafka::Topic::OFFSET_END);  // nothing that recent
  }
  if (auto s = internal::FromCode(consumer->assign(partitions), absl::StrCat("assign ", topic)); !s.ok()) {
    destroy();
    return s;
  }
  std::set<int32_t> at_end;
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status status;
  std::vector<ConsumedRecord> batch;
  while (status.ok() && at_end.size() < partitions.size()) {
    if (absl::Now() > deadline) {
      status = absl::DeadlineExceededError(absl::StrCat("reading ", topic, " did not finish in time"));
      break;
    }
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(msg->partition());
    } else if (msg->err() == RdKafka::ERR_NO_ERROR) {
      at_end.erase(msg->partition());
      batch.push_back(internal::ToRecord(*msg));
    }
    if (batch.size() >= 5000 || (!batch.empty() && msg->err() != RdKafka::ERR_NO_ERROR)) {
      status = handle(batch);
      batch.clear();
    }
  }
  if (status.ok() && !batch.empty()) status = handle(batch);
  destroy();
  consumer->close();
  return status;
}

}  // namespace retention::kafka
