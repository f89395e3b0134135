// The fake behaves as the loops' unit tests assume Kafka does.
#include "libs/kafka/fake_kafka.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/status/matchers.h"

namespace retention::kafka {
namespace {

using ::retention::testing::IsOk;
using ::retention::testing::StatusIs;

ConsumerOptions Options(std::vector<std::string> topics, std::vector<TopicPartitionOffset>* assigned = nullptr) {
  ConsumerOptions o;
  o.group_id = "g";
  o.topics = std::move(topics);
  o.assignment = Assignment::kCoPartitioned;
  if (assigned != nullptr) o.on_assigned = [assigned](std::vector<TopicPartitionOffset>& a) { *assigned = a; };
  return o;
}

TEST(FakeKafka, RangeAssignmentGivesPartitionPOfEveryTopicToOneMember) {
  FakeKafka kafka;
  kafka.CreateTopic("a", 4);
  kafka.CreateTopic("b", 4);
  std::vector<TopicPartitionOffset> first, second;
  auto c1 = kafka.NewConsumer(Options({"a", "b"}, &first));
  auto c2 = kafka.NewConsumer(Options({"a", "b"}, &second));
  ASSERT_THAT(c1->PollBatch(10, absl::ZeroDuration()), IsOk());
  ASSERT_THAT(c2->PollBatch(10, absl::ZeroDuration()), IsOk());
  ASSERT_EQ(first.size(), 4u);
  ASSERT_EQ(second.size(), 4u);
  std::set<std::pair<std::string, int32_t>> mine;
  for (const auto& tpo : first) mine.insert({tpo.topic, tpo.partition});
  for (int32_t p = 0; p < 4; ++p) EXPECT_EQ(mine.count({"a", p}), mine.count({"b", p})) << p;
}

TEST(FakeKafka, CommittedTransactionIsReadOnceAndItsMarkerIsNotLag) {
  FakeKafka kafka;
  kafka.CreateTopic("in", 1);
  kafka.CreateTopic("out", 1);
  auto producer = kafka.NewProducer({{}, "txn-1"});
  ASSERT_THAT(producer->BeginTransaction(), IsOk());
  ASSERT_THAT(producer->Produce({"out", "k", "v1", {}}), IsOk());
  ASSERT_THAT(producer->Produce({"out", "k", "v2", {}}), IsOk());
  EXPECT_TRUE(kafka.Records("out").empty()) << "nothing visible before the commit";
  ASSERT_THAT(producer->CommitTransaction(absl::Seconds(1)), IsOk());
  ASSERT_THAT(producer->BeginTransaction(), IsOk());
  ASSERT_THAT(producer->Produce({"out", "k", "aborted", {}}), IsOk());
  ASSERT_THAT(producer->AbortTransaction(absl::Seconds(1)), IsOk());

  auto reader = kafka.NewConsumer(Options({"out"}));
  auto batch = reader->PollBatch(100, absl::ZeroDuration());
  ASSERT_THAT(batch, IsOk());
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ((*batch)[1].value, "v2");
  EXPECT_EQ(kafka.EndOffset("out", 0), 5) << "two records, a marker, an aborted record, a marker";
  EXPECT_EQ(reader->Lag(), 0) << "markers and aborted records are not lag";
  EXPECT_EQ((reader->Positions()[TopicPartition{"out", 0}]), 5);
}

TEST(FakeKafka, AnExpelledMemberIsAZombieWhoseCommitsFail) {
  FakeKafka kafka;
  kafka.CreateTopic("in", 2);
  kafka.Append({"in", "a", "1", {}, 0});
  auto zombie = kafka.NewConsumer(Options({"in"}));
  ASSERT_THAT(zombie->PollBatch(10, absl::ZeroDuration()), IsOk());
  auto other = kafka.NewConsumer(Options({"in"}));
  kafka.Expel(zombie.get());
  ASSERT_THAT(other->PollBatch(10, absl::ZeroDuration()), IsOk());
  EXPECT_THAT(zombie->Commit({{"in", 0, 1}}), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(other->Commit({{"in", 0, 1}}), IsOk());
  EXPECT_EQ(kafka.CommittedOffset("g", "in", 0), 1);
}

TEST(FakeKafka, ANewerProducerFencesTheOldOneAndOversizedRecordsAreRefused) {
  FakeKafka kafka(100);
  kafka.CreateTopic("out", 1);
  auto old_one = kafka.NewProducer({{}, "txn-1"});
  auto new_one = kafka.NewProducer({{}, "txn-1"});
  EXPECT_THAT(old_one->BeginTransaction(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(new_one->BeginTransaction(), IsOk());
  EXPECT_THAT(new_one->Produce({"out", "k", std::string(200, 'x'), {}}), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace retention::kafka
