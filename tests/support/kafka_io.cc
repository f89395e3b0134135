#include "tests/support/kafka_io.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/kafka_producer.h"
#include "libs/kafka/topic_reader.h"
#include "tests/support/env.h"

namespace retention::testing {

kafka::KafkaSettings KafkaFor(std::string brokers) {
  if (brokers.empty()) brokers = KafkaBrokers();
  auto settings = kafka::SettingsFromEnvironment(brokers, "test");
  EXPECT_TRUE(settings.ok()) << settings.status();
  return settings.ok() ? *settings : kafka::KafkaSettings{brokers, "test", {}};
}

void CreateTopics(const std::vector<std::string>& names, int partitions, std::string brokers) {
  std::vector<kafka::TopicSpec> specs;
  for (const std::string& name : names) specs.push_back({name, partitions, -1, {}});
  const absl::Status status = kafka::CreateTopics(KafkaFor(brokers), specs, absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status;
}

void ProduceAll(const std::string& topic, const std::vector<kafka::OutgoingRecord>& records,
                std::string brokers) {
  kafka::ProducerOptions options;
  options.kafka = KafkaFor(brokers);
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
  auto records = kafka::ReadTopicToEnd(KafkaFor(brokers), topic, min_records, timeout);
  EXPECT_TRUE(records.ok()) << records.status();
  return records.ok() ? *std::move(records) : std::vector<kafka::ConsumedRecord>{};
}

}  // namespace retention::testing
