// Runs ingest on Kafka: polls the raw topic in batches and publishes the canonical
// events and dead letters together with the consumed offsets in one Kafka transaction
// (read_committed readers see a batch whole, once). Two stages overlap: while the
// publisher thread commits, the next batches are decoded and claimed in Redis. Every
// batch waiting when the publisher is free goes into its next transaction: each commit
// costs the broker a fixed amount of work, so under load transactions grow, and when
// idle each batch commits at once. Batches commit in the order they were read. A failure
// of Kafka or Redis is logged, counted and retried with backoff; nothing is skipped.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <deque>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/dependency/dependency_health.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/stream/liveness.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/metrics.h"

namespace retention::ingest {

struct PipelineSettings {
  size_t max_batch = 5000;
  // Batches processed but not yet committed, at most; polling waits beyond that.
  size_t max_pending_batches = 4;
  absl::Duration poll_wait = absl::Milliseconds(100);
  absl::Duration kafka_call_timeout = absl::Seconds(30);
  // How often an idle pipeline checks that the de-duplication memory is intact.
  absl::Duration verify_interval = absl::Seconds(2);
  // A publish waiting this long while the brokers answer again is stuck for good (some
  // transactional calls of librdkafka 2.0 never return once the group coordinator was
  // lost mid-call): the process exits so that a fresh one takes over. Nothing is lost:
  // the open transaction is aborted by the next incarnation and its input read again.
  absl::Duration stuck_publish_exit = absl::Minutes(2);
};

class IngestPipeline {
 public:
  // `make_producer` makes a transactional producer, again after a fatal error.
  using ProducerFactory = std::function<absl::StatusOr<std::unique_ptr<kafka::Producer>>()>;
  // Rebuilds the de-duplication memory after it was lost (retentionctl rebuild ingest).
  using Rebuilder = std::function<absl::Status()>;

  IngestPipeline(PipelineSettings settings, Ingestor* ingestor, DedupeStore* dedupe, ProducerFactory make_producer,
                 Rebuilder rebuild, IngestMetrics* metrics, dependency::DependencyHealth* dependencies,
                 stream::Liveness* liveness);
  ~IngestPipeline();

  // Creates the first producer; fails if Kafka is unreachable.
  absl::Status Init();

  // Waits until every batch handed over is committed (or abandoned on stop). Call it
  // when partitions are revoked, so that their new owner starts after our output.
  void WaitIdle();

  // Runs until `stop` is set; the batches in hand are finished and committed first.
  void Run(kafka::Consumer& consumer, const std::atomic<bool>& stop);

 private:
  struct Pending {
    std::vector<kafka::ConsumedRecord> batch;
    BatchOutput output;
    absl::Time polled_at;
  };

  void PublisherLoop(kafka::Consumer* consumer, const std::atomic<bool>* stop);
  // Publishes batches in one transaction until committed or abandoned (stop).
  // Reports Kafka down while a publish has waited for it for seconds, and exits when it
  // is stuck for good (see PipelineSettings::stuck_publish_exit).
  void ReportStuckPublish(kafka::Consumer& consumer);
  bool publishing() {
    absl::MutexLock lock(&mu_);
    return publishing_;
  }
  // False if the batches were given up (an abortable error, e.g. this member left the
  // group meanwhile) or on stop: nothing of them is committed.
  bool PublishWithRetry(kafka::Consumer& consumer, const std::vector<Pending>& batches,
                        const std::atomic<bool>& stop);
  // After batches were given up: drops what is queued and reads again from the
  // group's committed offsets (the batches' claims let them be published again).
  void ReadAgainFromCommitted(kafka::Consumer& consumer, const std::atomic<bool>& stop);
  absl::Status Publish(kafka::Consumer& consumer, const std::vector<Pending>& batches);
  // The state of the de-duplication memory: reported, and rebuilt when asked.
  void CheckMemory(const absl::Status& claimed);

  PipelineSettings settings_;
  Ingestor* ingestor_;
  DedupeStore* dedupe_;
  ProducerFactory make_producer_;
  Rebuilder rebuild_;
  std::unique_ptr<kafka::Producer> producer_;  // publisher thread only, after Init
  IngestMetrics* metrics_;
  dependency::DependencyHealth* dependencies_;
  stream::Liveness* liveness_;
  absl::Time last_verify_ = absl::InfinitePast();

  absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);  // handed over, not yet taken
  // Committed batches go back to the polling thread to be freed where they were
  // allocated: glibc frees memory of another thread's arena slowly, under its lock.
  std::vector<Pending> done_ ABSL_GUARDED_BY(mu_);
  bool publishing_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time publishing_since_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;       // no more batches will come
  bool given_up_ ABSL_GUARDED_BY(mu_) = false;       // see PublishWithRetry
};

}  // namespace retention::ingest
