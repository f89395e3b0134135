#include "libs/kafka/topic_reader.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/internal/message.h"

namespace retention::kafka {

absl::StatusOr<std::vector<ConsumedRecord>> ReadTopicToEnd(const std::string& brokers, const std::string& topic,
                                                           size_t min_records, absl::Duration timeout) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  // Partitions are assigned by hand; the group id is only required by the client.
  const std::string group = absl::StrCat("retention-reader-", std::random_device{}());
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{{"bootstrap.servers", brokers},
                                                                           {"group.id", group},
                                                                           {"isolation.level", "read_committed"},
                                                                           {"enable.auto.commit", "false"},
                                                                           {"enable.partition.eof", "true"},
                                                                           {"log_level", "3"}}) {
    if (conf->set(k, v, error) != RdKafka::Conf::CONF_OK) return absl::InvalidArgumentError(error);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) return absl::InternalError(error);

  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  RdKafka::Metadata* raw_metadata = nullptr;
  const RdKafka::ErrorCode code = consumer->metadata(false, handle.get(), &raw_metadata, 10000);
  std::unique_ptr<RdKafka::Metadata> metadata(raw_metadata);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("Kafka brokers ", brokers, ": ", RdKafka::err2str(code)));
  }
  if (metadata->topics()->empty() || metadata->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR) {
    return absl::NotFoundError(absl::StrCat("topic ", topic, " not found on ", brokers));
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* p : *metadata->topics()->at(0)->partitions()) {
    partitions.push_back(RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
  }
  consumer->assign(partitions);
  std::vector<ConsumedRecord> out;
  std::set<int32_t> at_end;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && !(at_end.size() == partitions.size() && out.size() >= min_records)) {
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
  return out;
}

}  // namespace retention::kafka
