// The Kafka consumer and producer against the real broker: start offsets chosen on
// assignment, commits, transactions that read_committed readers see whole or not at all,
// co-partitioned assignment, lag that reaches 0 past transaction markers, and records
// too large for the broker.
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/kafka/kafka_consumer.h"
#include "libs/kafka/kafka_producer.h"
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
  options.kafka = KafkaFor();
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
  options.kafka = KafkaFor();
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
  options.kafka = KafkaFor();
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
  options.kafka = KafkaFor();
  options.delivery_timeout = absl::Seconds(3);
  auto producer = kafka::KafkaProducer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(producer.ok());
  // Topic creation is off on the broker: the record cannot be delivered.
  const absl::Status status =
      (*producer)->ProduceAndWait({{UniqueName("no-such-topic"), "k", "v", {}}}, absl::Seconds(20));
  EXPECT_FALSE(status.ok());
}

TEST(KafkaConsumer, CoPartitionedAssignmentGivesPartitionPOfEveryTopicToOneMember) {
  const std::string a = UniqueName("copart-a"), b = UniqueName("copart-b");
  CreateTopics({a, b}, 4);
  kafka::ConsumerOptions options;
  options.kafka = KafkaFor();
  options.group_id = UniqueName("group");
  options.topics = {a, b};
  options.assignment = kafka::Assignment::kCoPartitioned;
  std::map<int, std::set<std::pair<std::string, int32_t>>> owned;
  std::mutex mu;
  std::vector<std::unique_ptr<kafka::KafkaConsumer>> members;
  for (int m = 0; m < 2; ++m) {
    kafka::ConsumerOptions o = options;
    o.on_assigned = [&, m](std::vector<kafka::TopicPartitionOffset>& assigned) {
      std::lock_guard<std::mutex> lock(mu);
      owned[m].clear();
      for (const auto& tpo : assigned) owned[m].insert({tpo.topic, tpo.partition});
    };
    auto consumer = kafka::KafkaConsumer::Create(o, absl::Seconds(30));
    ASSERT_TRUE(consumer.ok()) << consumer.status();
    members.push_back(*std::move(consumer));
  }
  ASSERT_TRUE(WaitFor([&] {
    for (auto& c : members) (void)c->PollBatch(10, absl::Milliseconds(100));
    std::lock_guard<std::mutex> lock(mu);
    return owned[0].size() + owned[1].size() == 8 && !owned[0].empty() && !owned[1].empty();
  }, absl::Seconds(60)));
  for (const auto& [m, tps] : owned) {
    for (const auto& [topic, p] : tps) {
      EXPECT_EQ(tps.count({a, p}), 1u) << "member " << m << " has " << topic << "/" << p << " but not " << a << "/" << p;
      EXPECT_EQ(tps.count({b, p}), 1u) << "member " << m << " has " << topic << "/" << p << " but not " << b << "/" << p;
    }
  }
}

TEST(KafkaConsumer, LagReachesZeroPastATransactionMarker) {
  const std::string topic = UniqueName("marker");
  CreateTopics({topic}, 1);
  kafka::ProducerOptions producer_options;
  producer_options.kafka = KafkaFor();
  producer_options.transactional_id = UniqueName("txn-id");
  auto producer = kafka::KafkaProducer::Create(producer_options, absl::Seconds(30));
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*producer)->Produce({topic, "k", absl::StrCat(i), {}}).ok());
  ASSERT_TRUE((*producer)->CommitTransaction(absl::Seconds(30)).ok());
  kafka::ConsumerOptions options;
  options.kafka = KafkaFor();
  options.group_id = UniqueName("group");
  options.topics = {topic};
  auto consumer = kafka::KafkaConsumer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(consumer.ok());
  ASSERT_EQ(PollUntil(**consumer, 3).size(), 3u);
  // Three records and a commit marker: the position passes the marker once the end is
  // reached, and nothing is left to read.
  ASSERT_TRUE(WaitFor([&] {
    (void)(*consumer)->PollBatch(10, absl::Milliseconds(200));
    return (*consumer)->Positions()[kafka::TopicPartition{topic, 0}] == 4 && (*consumer)->Lag() == 0;
  }, absl::Seconds(30))) << "position " << (*consumer)->Positions()[kafka::TopicPartition{topic, 0}]
                         << ", lag " << (*consumer)->Lag();
  ASSERT_TRUE((*consumer)->Commit({{topic, 0, 4}}).ok());
  auto committed = (*consumer)->Committed({{topic, 0}}, absl::Seconds(10));
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ((*committed)[0].offset, 4);
}

TEST(KafkaProducer, ARecordTooLargeForTheBrokerIsInvalidArgumentNotRetriable) {
  kafka::ProducerOptions options;
  options.kafka = KafkaFor();
  auto producer = kafka::KafkaProducer::Create(options, absl::Seconds(30));
  ASSERT_TRUE(producer.ok());
  const std::string topic = UniqueName("big");
  CreateTopics({topic}, 1);
  const absl::Status status =
      (*producer)->ProduceAndWait({{topic, "k", std::string(2 << 20, 'x'), {}}}, absl::Seconds(20));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

}  // namespace
}  // namespace retention::testing
