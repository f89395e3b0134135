// Feeds a SignalHub from a signal topic, read from its end by a consumer group of this
// process alone: streaming subscribers of any replica then see every replica's signals.
// Start returns once the topic's partitions are assigned, so that a service that says
// it is ready streams every signal published from then on.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/kafka_consumer.h"
#include "libs/stream/signal_hub.h"

namespace retention::stream {

template <typename Signal>
class HubFeeder {
 public:
  // `name` tells the group apart, e.g. "churn-stream"; the group is unique per process.
  static absl::StatusOr<std::unique_ptr<HubFeeder>> Start(const kafka::KafkaSettings& kafka, const std::string& topic,
                                                           const std::string& name, const std::string& instance,
                                                           absl::Duration startup_timeout, SignalHub<Signal>* hub) {
    kafka::ConsumerOptions options;
    options.kafka = kafka;
    options.kafka.properties["auto.offset.reset"] = "latest";  // from now on: a subscription, not a replay
    options.group_id = absl::StrCat("retention-", name, "-", instance, "-", absl::ToUnixNanos(absl::Now()));
    options.topics = {topic};
    auto assigned = std::make_shared<std::atomic<bool>>(false);
    options.on_assigned = [assigned](std::vector<kafka::TopicPartitionOffset>&) { *assigned = true; };
    auto consumer = kafka::KafkaConsumer::Create(options, startup_timeout);
    if (!consumer.ok()) return consumer.status();
    std::unique_ptr<HubFeeder> feeder(new HubFeeder(std::move(*consumer), hub));
    const absl::Time deadline = absl::Now() + startup_timeout;
    while (!assigned->load()) {
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(absl::StrCat("no partition of ", topic, " assigned within ",
                                                        absl::FormatDuration(startup_timeout)));
      }
      feeder->PollOnce(absl::Milliseconds(100));
    }
    feeder->thread_ = std::thread([f = feeder.get()] { f->Run(); });
    return feeder;
  }

  // Stops reading and leaves the group.
  ~HubFeeder() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    consumer_->Close();
  }

 private:
  HubFeeder(std::unique_ptr<kafka::KafkaConsumer> consumer, SignalHub<Signal>* hub)
      : consumer_(std::move(consumer)), hub_(hub) {}

  void Run() {
    while (!stop_.load()) PollOnce(absl::Milliseconds(200));
  }

  void PollOnce(absl::Duration wait) {
    auto batch = consumer_->PollBatch(500, wait);
    if (!batch.ok()) return;  // the consumer reports broker trouble itself and recovers
    for (const kafka::ConsumedRecord& r : *batch) {
      Signal signal;
      if (signal.ParseFromString(r.value)) hub_->Publish(signal);
    }
  }

  std::unique_ptr<kafka::KafkaConsumer> consumer_;
  SignalHub<Signal>* hub_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace retention::stream
