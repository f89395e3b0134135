// The loop of a service that keeps state per account and publishes signals: per batch,
// process (load and fold), publish the signals and wait for their delivery, save the
// state, then commit the offsets. A crash before the save repeats the signals (with
// the same ids) and re-applies nothing twice, because each state records the offsets it
// applied; a crash after it skips what was applied. Failures of Kafka or Redis are
// retried with backoff and reported; a batch is never skipped.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/health/dependency_health.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace retention::pipeline {

// One batch's outcome, from a service's logic.
class BatchWork {
 public:
  virtual ~BatchWork() = default;
  virtual const std::vector<kafka::OutgoingRecord>& signals() const = 0;
  // Writes the state the batch produced (one round trip).
  virtual absl::Status Save() = 0;
  // Counts the batch in the service's metrics once it is committed.
  virtual void Committed(absl::Time signals_delivered) = 0;
};

class BatchProcessor {
 public:
  virtual ~BatchProcessor() = default;
  // Loads and folds the batch. Fails only if the state store does (then retried).
  virtual absl::StatusOr<std::unique_ptr<BatchWork>> Process(const std::vector<kafka::ConsumedRecord>& records,
                                                             absl::Time now) = 0;
};

struct PipelineSettings {
  size_t max_batch = 2000;
  absl::Duration poll_wait = absl::Milliseconds(100);
  absl::Duration publish_timeout = absl::Seconds(30);
};

class StatefulPipeline {
 public:
  StatefulPipeline(PipelineSettings settings, BatchProcessor* processor, kafka::KafkaProducer* producer,
                   health_check::DependencyHealth* dependencies, prometheus::Gauge* consumer_lag,
                   prometheus::Histogram* batch_seconds)
      : settings_(settings),
        processor_(processor),
        producer_(producer),
        dependencies_(dependencies),
        consumer_lag_(consumer_lag),
        batch_seconds_(batch_seconds) {}

  // Runs until `stop` is set; the batch in hand is finished first.
  void Run(kafka::KafkaConsumer& consumer, const std::atomic<bool>& stop);

 private:
  // Retries `step` with backoff until it succeeds; false if stopped first.
  bool Retry(const char* dependency, const std::atomic<bool>& stop, const std::function<absl::Status()>& step);

  PipelineSettings settings_;
  BatchProcessor* processor_;
  kafka::KafkaProducer* producer_;
  health_check::DependencyHealth* dependencies_;
  prometheus::Gauge* consumer_lag_;
  prometheus::Histogram* batch_seconds_;
};

}  // namespace retention::pipeline
