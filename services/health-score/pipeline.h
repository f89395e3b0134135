// Runs health-score on Kafka. Per batch: fold the events into the states (one Redis
// round trip to load), publish the signals and wait for their delivery, save the states
// (one round trip), then commit the offsets. A crash before the save repeats the
// signals with the same ids (subscribers drop repeats); a crash after it skips the
// events already applied. Failures of Kafka or Redis are retried; nothing is skipped.
#pragma once

#include <atomic>

#include "absl/time/time.h"
#include "libs/health/dependency_health.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "services/health-score/engine.h"
#include "services/health-score/metrics.h"

namespace retention::health {

struct PipelineSettings {
  size_t max_batch = 2000;
  absl::Duration poll_wait = absl::Milliseconds(100);
  absl::Duration publish_timeout = absl::Seconds(30);
};

class HealthPipeline {
 public:
  HealthPipeline(PipelineSettings settings, HealthEngine* engine, HealthStore* store,
                 kafka::KafkaProducer* producer, HealthMetrics* metrics,
                 health_check::DependencyHealth* dependencies)
      : settings_(settings),
        engine_(engine),
        store_(store),
        producer_(producer),
        metrics_(metrics),
        dependencies_(dependencies) {}

  // Runs until `stop` is set; the batch in hand is finished first.
  void Run(kafka::KafkaConsumer& consumer, const std::atomic<bool>& stop);

 private:
  // Retries `step` with backoff until it succeeds; false if stopped first.
  bool Retry(const char* dependency, const std::atomic<bool>& stop, const std::function<absl::Status()>& step);

  PipelineSettings settings_;
  HealthEngine* engine_;
  HealthStore* store_;
  kafka::KafkaProducer* producer_;
  HealthMetrics* metrics_;
  health_check::DependencyHealth* dependencies_;
};

}  // namespace retention::health
