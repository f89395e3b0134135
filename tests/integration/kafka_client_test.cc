// The Kafka consumer and producer against the real broker: start offsets chosen on
// assignment, commits, transactions that read_committed readers see whole or not at all.
#include "gtest/gtest.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"

namespace retention::testing {
namespace {

std::vector<kafka::OutgoingRecord> Numbered(int n, const std::string& key = "k") {
  std::vector<kafka::OutgoingRecord> records;
  for (int i = 0; i < n; ++i) records.push_back({"", key, absl::StrCat("v", i), {{"h", absl::StrCat(i)}}});
  return records;
}

std::vector<kafka::ConsumedRecord> PollUntil(kafka::KafkaConsumer& consumer, size_t n) {
  std::vector<kafka::ConsumedRecord> all;
  WaitFor(
      [&] {
        auto batch = consumer.PollBatch(100, absl::Milliseconds(200));
        if (batch.ok()) all.insert(all.end(), batch->begin(), batch->end());
        return all.size() >= n;
      },
      absl::Seconds(60), absl::Milliseconds(1));
  return all;
}

TEST(KafkaConsumer, StartsWhereTheAssignmentHookSaysAndKeepsHeaders) {
  const std::string topic = UniqueName("start");
  CreateTopics({topic}, 1);
  ProduceAll(topic, Numbered(10));
  kafka::ConsumerOptions options;
  options.kafka.brokers = KafkaBrokers();
  options.group_id = UniqueName("group");
  options.topics = {topic};
  options.on_assigned = [](std::vector<kafka::TopicPartitionOffset>& partitions) {
    for (auto& p : partitions) p.offset = 7;  // e.g. the offset stored beside the state
  };
  auto consumer = kafka::KafkaConsumer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(consumer.ok()) << consumer.status();
  const auto records = PollUntil(**consumer, 3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].offset, 7);
  EXPECT_EQ(records[0].value, "v7");
  ASSERT_NE(kafka::FindHeader(records[0].headers, "h"), nullptr);
  EXPECT_EQ(*kafka::FindHeader(records[0].headers, "h"), "7");
}

TEST(KafkaConsumer, ACommittedOffsetIsWhereTheGroupResumes) {
  const std::string topic = UniqueName("commit");
  CreateTopics({topic}, 1);
  ProduceAll(topic, Numbered(6));
  kafka::ConsumerOptions options;
  options.kafka.brokers = KafkaBrokers();
  options.group_id = UniqueName("group");
  options.topics = {topic};
  {
    auto consumer = kafka::KafkaConsumer::Create(options, absl::Seconds(30));
    ASSERT_TRUE(consumer.ok());
    auto records = PollUntil(**consumer, 6);
    ASSERT_EQ(records.size(), 6u);
    records.resize(4);  // only the first four had their effect
    ASSERT_TRUE((*consumer)->Commit(kafka::NextOffsets(records)).ok());
  }
  auto again = kafka::KafkaConsumer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(again.ok());
  const auto rest = PollUntil(**again, 2);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].value, "v4");
}

TEST(KafkaProducer, AbortedTransactionsAreInvisibleToReadCommittedReaders) {
  const std::string topic = UniqueName("txn");
  CreateTopics({topic}, 1);
  kafka::ProducerOptions options;
  options.kafka.brokers = KafkaBrokers();
  options.transactional_id = UniqueName("txn-id");
  auto producer = kafka::KafkaProducer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto send = [&](const std::string& value) {
    return (*producer)->Produce({topic, "k", value, {}});
  };
  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  ASSERT_TRUE(send("aborted-1").ok());
  ASSERT_TRUE(send("aborted-2").ok());
  ASSERT_TRUE((*producer)->AbortTransaction(absl::Seconds(30)).ok());
  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  ASSERT_TRUE(send("committed").ok());
  ASSERT_TRUE((*producer)->CommitTransaction(absl::Seconds(30)).ok());

  const auto records = ReadTopic(topic, 1, absl::Seconds(30));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value, "committed");
}

TEST(KafkaProducer, ProduceAndWaitReportsAFailedDelivery) {
  kafka::ProducerOptions options;
  options.kafka.brokers = KafkaBrokers();
  options.delivery_timeout = absl::Seconds(3);
  auto producer = kafka::KafkaProducer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(producer.ok());
  // Topic creation is off on the broker: the record cannot be delivered.
  const absl::Status status =
      (*producer)->ProduceAndWait({{UniqueName("no-such-topic"), "k", "v", {}}}, absl::Seconds(20));
  EXPECT_FALSE(status.ok());
}

}  // namespace
}  // namespace retention::testing
