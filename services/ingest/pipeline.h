// Runs ingest on Kafka: polls the raw topic in batches and, per batch, publishes the
// canonical events and dead letters together with the consumed offsets in one Kafka
// transaction (read_committed readers see a batch whole, once). A failure of Kafka or
// Redis is logged, counted and retried with backoff; the batch is never skipped.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/metrics.h"

namespace retention::ingest {

struct PipelineSettings {
  size_t max_batch = 1000;
  absl::Duration poll_wait = absl::Milliseconds(100);
  absl::Duration kafka_call_timeout = absl::Seconds(30);
};

class IngestPipeline {
 public:
  // `make_producer` makes a transactional producer, again after a fatal error.
  using ProducerFactory = std::function<absl::StatusOr<std::unique_ptr<kafka::KafkaProducer>>()>;

  IngestPipeline(PipelineSettings settings, Ingestor* ingestor, kafka::KafkaConsumer* consumer,
                 ProducerFactory make_producer, IngestMetrics* metrics,
                 std::function<void(bool healthy)> on_health);

  // Creates the first producer; fails if Kafka is unreachable.
  absl::Status Init();

  // Runs until `stop` is set; the batch in hand is finished and committed first.
  void Run(const std::atomic<bool>& stop);

 private:
  // Publishes the batch's output and commits its offsets in one transaction.
  absl::Status Publish(const BatchOutput& output, const std::vector<kafka::ConsumedRecord>& batch);
  // Processes one batch until it is committed or `stop` is set.
  void ProcessBatch(const std::vector<kafka::ConsumedRecord>& batch, const std::atomic<bool>& stop);
  void SetHealth(const std::string& dependency, bool ok, const absl::Status& error);

  PipelineSettings settings_;
  Ingestor* ingestor_;
  kafka::KafkaConsumer* consumer_;
  ProducerFactory make_producer_;
  std::unique_ptr<kafka::KafkaProducer> producer_;
  IngestMetrics* metrics_;
  std::function<void(bool)> on_health_;
  std::map<std::string, absl::Time> last_warning_;
  bool kafka_ok_ = true;
  bool redis_ok_ = true;
};

}  // namespace retention::ingest
