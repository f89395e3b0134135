#include "tests/support/kafka_io.h"

#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <set>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/producer.h"
#include "tests/support/env.h"

namespace retention::testing {

void CreateTopics(const std::vector<std::string>& names, int partitions, std::string brokers) {
  if (brokers.empty()) brokers = KafkaBrokers();
  std::vector<kafka::TopicSpec> specs;
  for (const std::string& name : names) specs.push_back({name, partitions, {}});
  const absl::Status status = kafka::CreateTopics(brokers, specs, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status;
}

void ProduceAll(const std::string& topic, const std::vector<kafka::OutgoingRecord>& records,
                std::string brokers) {
  if (brokers.empty()) brokers = KafkaBrokers();
  kafka::ProducerOptions options;
  options.kafka.brokers = brokers;
  options.kafka.client_id = "test-upstream";
  auto producer = kafka::KafkaProducer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(producer.ok()) << producer.status();
  std::vector<kafka::OutgoingRecord> to_send = records;
  for (kafka::OutgoingRecord& r : to_send) r.topic = topic;
  const absl::Status status = (*producer)->ProduceAndWait(to_send, absl::Seconds(60));
  ASSERT_TRUE(status.ok()) << status;
}

std::vector<kafka::ConsumedRecord> ReadTopic(const std::string& topic, size_t min_records,
                                             absl::Duration timeout, std::string brokers) {
  if (brokers.empty()) brokers = KafkaBrokers();
  std::vector<kafka::ConsumedRecord> out;
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", brokers, error);
  conf->set("group.id", UniqueName("test-reader"), error);
  conf->set("isolation.level", "read_committed", error);
  conf->set("enable.auto.commit", "false", error);
  conf->set("enable.partition.eof", "true", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(conf.get(), error));
  EXPECT_TRUE(consumer) << error;
  if (!consumer) return out;

  RdKafka::Metadata* metadata = nullptr;
  std::unique_ptr<RdKafka::Topic> handle(RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  EXPECT_EQ(consumer->metadata(false, handle.get(), &metadata, 10000), RdKafka::ERR_NO_ERROR);
  std::vector<RdKafka::TopicPartition*> partitions;
  if (metadata != nullptr && !metadata->topics()->empty()) {
    for (const auto* p : *metadata->topics()->at(0)->partitions()) {
      partitions.push_back(RdKafka::TopicPartition::create(topic, p->id(), RdKafka::Topic::OFFSET_BEGINNING));
    }
  }
  delete metadata;
  consumer->assign(partitions);
  std::set<int32_t> at_end;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline &&
         !(at_end.size() == partitions.size() && out.size() >= min_records)) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(200));
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      at_end.insert(msg->partition());
      continue;
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;
    at_end.erase(msg->partition());
    kafka::ConsumedRecord& r = out.emplace_back();
    r.topic = msg->topic_name();
    r.partition = msg->partition();
    r.offset = msg->offset();
    if (msg->key() != nullptr) r.key = *msg->key();
    r.value.assign(static_cast<const char*>(msg->payload()), msg->len());
    if (RdKafka::Headers* headers = msg->headers()) {
      for (const auto& h : headers->get_all()) {
        r.headers.push_back({h.key(), std::string(static_cast<const char*>(h.value()), h.value_size())});
      }
    }
  }
  RdKafka::TopicPartition::destroy(partitions);
  consumer->close();
  return out;
}

}  // namespace retention::testing
