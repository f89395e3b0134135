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

TopicWatcher::TopicWatcher(std::string topic, std::string brokers) {
  const kafka::KafkaSettings settings = KafkaFor(std::move(brokers));
  thread_ = std::thread([this, settings, topic] {
    const absl::Status status = kafka::FollowTopic(settings, topic, [this](const std::vector<kafka::ConsumedRecord>& batch) {
      if (!batch.empty()) {
        absl::MutexLock lock(&mu_);
        records_.insert(records_.end(), batch.begin(), batch.end());
      }
      return !stop_.load();
    });
    EXPECT_TRUE(status.ok()) << "following " << topic << ": " << status;
  });
}

TopicWatcher::~TopicWatcher() {
  stop_ = true;
  thread_.join();
}

std::vector<kafka::ConsumedRecord> TopicWatcher::Records() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

bool TopicWatcher::WaitUntil(const std::function<bool(const std::vector<kafka::ConsumedRecord>&)>& condition,
                             absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&mu_);
  size_t checked = static_cast<size_t>(-1);
  while (true) {
    if (records_.size() != checked) {
      checked = records_.size();
      if (condition(records_)) return true;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    struct Grew {
      const std::vector<kafka::ConsumedRecord>* records;
      size_t seen;
      static bool Check(Grew* g) { return g->records->size() != g->seen; }
    } grew{&records_, checked};
    mu_.AwaitWithTimeout(absl::Condition(&Grew::Check, &grew), std::min(left, absl::Milliseconds(500)));
  }
}

}  // namespace retention::testing
