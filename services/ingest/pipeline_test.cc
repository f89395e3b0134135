// ingest's transactional loop against the fake Kafka: exactly once from raw to v1
// across a stop mid-batch, an aborted transaction and a fenced producer; a record too
// large to dead-letter whole does not wedge it; lost de-duplication memory, or memory
// that went back, holds every batch until it is rebuilt.
#include "services/ingest/pipeline.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/kafka/fake_kafka.h"
#include "libs/status/matchers.h"
#include "libs/stream/clock.h"
#include "retention/v1/dead_letter.pb.h"
#include "services/ingest/memory_dedupe.h"

namespace retention::ingest {
namespace {

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::string EventJson(const std::string& id, const std::string& account) {
  return absl::StrCat(R"({"eventId":")", id, R"(","accountId":")", account,
                      R"(","occurredAt":"2026-11-01T10:00:00Z","engagement":{"kind":"QBR"}})");
}

// One ingest replica on the fake Kafka, running on its own thread.
class Replica {
 public:
  Replica(kafka::FakeKafka& kafka, DedupeStore* dedupe, std::function<absl::Status()> rebuild = [] { return absl::OkStatus(); })
      : kafka_(kafka),
        registry_(std::make_shared<prometheus::Registry>()),
        metrics_(*registry_),
        dependencies_(*registry_, "retention_test_ingest", {"kafka", "redis", "state"}),
        liveness_(&clock_, absl::Seconds(30)),
        ingestor_(IngestSettings{}, dedupe) {
    PipelineSettings settings;
    settings.max_batch = 3;
    settings.poll_wait = absl::Milliseconds(5);
    settings.verify_interval = absl::ZeroDuration();
    pipeline_ = std::make_unique<IngestPipeline>(
        settings, &ingestor_, dedupe,
        [this]() -> absl::StatusOr<std::unique_ptr<kafka::Producer>> {
          return kafka_.NewProducer({{}, "retention-ingest-replica"});
        },
        std::move(rebuild), &metrics_, &dependencies_, &liveness_);
    EXPECT_THAT(pipeline_->Init(), testing::IsOk());
    kafka::ConsumerOptions options;
    options.group_id = "retention-ingest";
    options.topics = {"retention.interactions.raw"};
    options.on_revoked = [this](const std::vector<kafka::TopicPartition>&, bool) { pipeline_->WaitIdle(); };
    consumer_ = kafka_.NewConsumer(options);
    thread_ = std::thread([this] { pipeline_->Run(*consumer_, stop_); });
  }
  ~Replica() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  dependency::DependencyHealth& dependencies() { return dependencies_; }

 private:
  kafka::FakeKafka& kafka_;
  stream::SystemClock clock_;
  std::shared_ptr<prometheus::Registry> registry_;
  IngestMetrics metrics_;
  dependency::DependencyHealth dependencies_;
  stream::Liveness liveness_;
  Ingestor ingestor_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class IngestPipelineTest : public ::testing::Test {
 protected:
  IngestPipelineTest() {
    for (const char* t : {"retention.interactions.raw", "retention.interactions.v1", "retention.interactions.dlq"}) {
      kafka.CreateTopic(t, 2);
    }
  }
  void Send(const std::string& id, const std::string& account) {
    kafka.Append({"retention.interactions.raw", account, EventJson(id, account), {{"content-type", "application/json"}}});
  }
  std::multiset<std::string> EventIds() {
    std::multiset<std::string> ids;
    for (const auto& r : kafka.Records("retention.interactions.v1")) {
      v1::InteractionEvent e;
      EXPECT_TRUE(e.ParseFromString(r.value));
      ids.insert(e.event_id());
    }
    return ids;
  }

  kafka::FakeKafka kafka;
  InMemoryDedupeStore dedupe;
};

TEST_F(IngestPipelineTest, EveryDistinctEventIsOnV1ExactlyOnceAcrossStopsAbortsAndFencing) {
  for (int i = 0; i < 12; ++i) Send(absl::StrCat("e", i), absl::StrCat("acct-", i % 4));
  Send("e3", "acct-3");  // an upstream repeat
  kafka.FailNext(kafka::FakeKafka::Op::kCommitTransaction, absl::AbortedError("injected abort"));
  {
    Replica first(kafka, &dedupe);
    ASSERT_TRUE(WaitFor([&] { return EventIds().size() >= 3; }));
    // A newer instance with the same transactional id fences this one mid-stream.
    auto fencer = kafka.NewProducer({{}, "retention-ingest-replica"});
    for (int i = 12; i < 20; ++i) Send(absl::StrCat("e", i), "acct-9");
    first.Stop();
  }
  Replica second(kafka, &dedupe);
  ASSERT_TRUE(WaitFor([&] { return EventIds().size() >= 20; })) << EventIds().size();
  second.Stop();
  const auto ids = EventIds();
  EXPECT_EQ(ids.size(), 20u);
  for (const auto& id : ids) EXPECT_EQ(ids.count(id), 1u) << id;
}

TEST_F(IngestPipelineTest, ARecordTooLargeToDeadLetterWholeDoesNotWedgeTheStream) {
  kafka::FakeKafka small(1 << 20);
  for (const char* t : {"retention.interactions.raw", "retention.interactions.v1", "retention.interactions.dlq"}) {
    small.CreateTopic(t, 1);
  }
  small.Append({"retention.interactions.raw", "acct-1", std::string((1 << 20) - 100, '{'), {}});
  small.Append({"retention.interactions.raw", "acct-1", EventJson("after", "acct-1"), {}});
  Replica r(small, &dedupe);
  ASSERT_TRUE(WaitFor([&] { return small.Records("retention.interactions.v1").size() == 1; }));
  const auto letters = small.Records("retention.interactions.dlq");
  ASSERT_EQ(letters.size(), 1u);
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letter.reason(), v1::TOO_LARGE);
  EXPECT_EQ(letter.original_size(), (1 << 20) - 100);
}

TEST_F(IngestPipelineTest, LostDeduplicationMemoryHoldsEveryBatchUntilRebuilt) {
  Send("before", "acct-1");
  std::atomic<int> rebuilds{0};
  Replica r(kafka, &dedupe, [&] {
    ++rebuilds;
    return dedupe.MarkIntact(absl::Now());
  });
  ASSERT_TRUE(WaitFor([&] { return EventIds().size() == 1; }));
  dedupe.Lose();
  Send("during", "acct-2");
  ASSERT_TRUE(WaitFor([&] { return !r.dependencies().up("state"); })) << "not serving, saying why";
  EXPECT_EQ(EventIds().size(), 1u) << "nothing is published without de-duplication";
  dedupe.rebuild_requested = true;
  ASSERT_TRUE(WaitFor([&] { return EventIds().size() == 2; }));
  EXPECT_EQ(rebuilds.load(), 1);
  EXPECT_TRUE(r.dependencies().up("state"));
}

TEST_F(IngestPipelineTest, AFailoverToAStoreThatMissedWritesHoldsEveryBatchUntilRebuilt) {
  Send("one", "acct-1");
  std::atomic<int> rebuilds{0};
  Replica r(kafka, &dedupe, [&] {
    ++rebuilds;
    return dedupe.MarkIntact(absl::Now());
  });
  ASSERT_TRUE(WaitFor([&] { return EventIds().size() == 1; }));
  InMemoryDedupeStore replica;  // a Redis replica that stops receiving writes here
  replica.CopyFrom(dedupe);
  Send("two", "acct-1");
  ASSERT_TRUE(WaitFor([&] { return EventIds().size() == 2; }));
  dedupe.CopyFrom(replica);  // the failover: "two" and how far acct-1's partition was read are gone
  Send("two", "acct-1");     // an upstream repeat the store no longer knows
  Send("three", "acct-1");
  ASSERT_TRUE(WaitFor([&] { return !r.dependencies().up("state"); })) << "not serving, saying why";
  EXPECT_EQ(EventIds(), (std::multiset<std::string>{"one", "two"})) << "nothing passes a memory that went back";
  dedupe.rebuild_requested = true;
  ASSERT_TRUE(WaitFor([&] { return EventIds().count("three") == 1; }));
  EXPECT_EQ(rebuilds.load(), 1);
  EXPECT_TRUE(r.dependencies().up("state"));
}

}  // namespace
}  // namespace retention::ingest
