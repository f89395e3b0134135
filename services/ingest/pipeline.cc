#include "services/ingest/pipeline.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>

#include "absl/time/clock.h"
#include "libs/log/log.h"
#include "libs/status/backoff.h"
#include "libs/status/status_macros.h"

namespace retention::ingest {

IngestPipeline::IngestPipeline(PipelineSettings settings, Ingestor* ingestor, DedupeStore* dedupe,
                               ProducerFactory make_producer, Rebuilder rebuild, IngestMetrics* metrics,
                               dependency::DependencyHealth* dependencies, stream::Liveness* liveness)
    : settings_(settings),
      ingestor_(ingestor),
      dedupe_(dedupe),
      make_producer_(std::move(make_producer)),
      rebuild_(std::move(rebuild)),
      metrics_(metrics),
      dependencies_(dependencies),
      liveness_(liveness) {}

IngestPipeline::~IngestPipeline() = default;

absl::Status IngestPipeline::Init() {
  auto producer = make_producer_();
  if (!producer.ok()) return producer.status();
  producer_ = std::move(*producer);
  return absl::OkStatus();
}

namespace {

// The offsets to commit after `batches`: per partition, past the last record read.
std::vector<kafka::TopicPartitionOffset> CommitOffsets(const std::vector<kafka::ConsumedRecord>& first,
                                                       const std::vector<kafka::TopicPartitionOffset>& more) {
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const auto& tpo : kafka::NextOffsets(first)) next[{tpo.topic, tpo.partition}] = tpo.offset;
  for (const auto& tpo : more) {
    int64_t& offset = next[{tpo.topic, tpo.partition}];
    offset = std::max(offset, tpo.offset);
  }
  std::vector<kafka::TopicPartitionOffset> out;
  for (const auto& [tp, offset] : next) out.push_back({tp.first, tp.second, offset});
  return out;
}

}  // namespace

absl::Status IngestPipeline::Publish(kafka::Consumer& consumer, const std::vector<Pending>& batches) {
  if (auto s = producer_->BeginTransaction(); !s.ok()) return s;
  std::vector<kafka::TopicPartitionOffset> offsets;
  for (const Pending& pending : batches) {
    for (const kafka::OutgoingRecord& record : pending.output.records) {
      if (auto s = producer_->Produce(record); !s.ok()) return absl::AbortedError(s.message());
    }
    offsets = CommitOffsets(pending.batch, offsets);
  }
  // Retriable calls may be repeated as they are; they resume where they stopped. Short
  // attempts, each failure reported, so that readiness says within seconds that Kafka
  // is gone even while a transaction waits for it.
  const absl::Duration attempt = std::min(settings_.kafka_call_timeout, absl::Seconds(5));
  const absl::Time deadline = absl::Now() + 4 * settings_.kafka_call_timeout;
  const auto retrying = [&](const std::function<absl::Status()>& call) {
    while (true) {
      absl::Status status = call();
      if (!absl::IsUnavailable(status) || absl::Now() >= deadline) return status;
      dependencies_->Report("kafka", status);
    }
  };
  const std::unique_ptr<kafka::GroupMetadata> group = consumer.GroupInfo();
  RETENTION_RETURN_IF_ERROR(
      retrying([&] { return producer_->SendOffsetsToTransaction(offsets, *group, attempt); }));
  return retrying([&] { return producer_->CommitTransaction(attempt); });
}

bool IngestPipeline::PublishWithRetry(kafka::Consumer& consumer, const std::vector<Pending>& batches,
                                      const std::atomic<bool>& stop) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (true) {
    const absl::Time start = absl::Now();
    const absl::Status published = Publish(consumer, batches);
    metrics_->phase_seconds("publish").Observe(absl::ToDoubleSeconds(absl::Now() - start));
    if (published.ok()) {
      dependencies_->Report("kafka", absl::OkStatus());
      const absl::Time committed = absl::Now();
      for (const Pending& pending : batches) {
        metrics_->Add("kafka", pending.output.counts);
        metrics_->batch_seconds().Observe(absl::ToDoubleSeconds(committed - pending.polled_at));
      }
      return true;
    }
    dependencies_->Report("kafka", published);
    if (absl::IsInternal(published)) {
      // Fatal for this producer (e.g. fenced): make a new one, which aborts what the old
      // one left open, and publish the batch again. If the partitions were taken from
      // us meanwhile, their new owner reads the batch from the committed offsets.
      LOG_ERROR("kafka producer failed fatally; recreating it").Field("error", published.ToString());
      producer_.reset();
      while (producer_ == nullptr) {
        auto producer = make_producer_();
        if (producer.ok()) {
          producer_ = std::move(*producer);
        } else {
          dependencies_->Report("kafka", producer.status());
          if (!backoff.Wait(stop)) return false;
        }
      }
      continue;
    }
    for (absl::Status aborted = producer_->AbortTransaction(settings_.kafka_call_timeout); !aborted.ok();
         aborted = producer_->AbortTransaction(settings_.kafka_call_timeout)) {
      dependencies_->Report("kafka", aborted);
      if (absl::IsInternal(aborted) || !backoff.Wait(stop)) break;
    }
    // An abortable error (e.g. this member left the group while Kafka was away, so its
    // offsets are refused): retrying the same batches cannot succeed until the
    // consumer has polled again, so they are given up and read again.
    if (absl::IsAborted(published)) return false;
    // Nothing of an unfinished batch is committed: on stop it is read again later.
    if (!backoff.Wait(stop)) return false;
  }
}

void IngestPipeline::ReadAgainFromCommitted(kafka::Consumer& consumer, const std::atomic<bool>& stop) {
  {
    absl::MutexLock lock(&mu_);
    for (Pending& pending : queue_) done_.push_back(std::move(pending));
    queue_.clear();
    given_up_ = false;
  }
  std::vector<kafka::TopicPartition> assigned;
  for (const auto& [tp, position] : consumer.Positions()) assigned.push_back(tp);
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (!assigned.empty()) {
    auto committed = consumer.Committed(assigned, settings_.kafka_call_timeout);
    absl::Status status = committed.status();
    if (committed.ok()) {
      std::vector<kafka::TopicPartitionOffset> seeks;
      for (const kafka::TopicPartitionOffset& tpo : *committed) {
        // Without a committed offset, from the start (the group's offset reset policy).
        seeks.push_back({tpo.topic, tpo.partition, tpo.offset == kafka::kNoOffset ? -2 : tpo.offset});
      }
      status = consumer.Seek(seeks);
      if (status.ok()) break;
    }
    dependencies_->Report("kafka", status);
    if (!backoff.Wait(stop)) return;
  }
  LOG_WARN("batches given up after an abortable Kafka error; reading again from the committed offsets")
      .Field("partitions", static_cast<int64_t>(assigned.size()));
}

void IngestPipeline::PublisherLoop(kafka::Consumer* consumer, const std::atomic<bool>* stop) {
  while (true) {
    std::vector<Pending> batches;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          // Nothing is taken while given-up batches wait to be read again (order).
          +[](IngestPipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
            return (!p->queue_.empty() && !p->given_up_) || p->finished_;
          },
          this));
      if (queue_.empty() || given_up_) return;  // finished and drained (or to be read again)
      for (Pending& pending : queue_) batches.push_back(std::move(pending));
      queue_.clear();
      publishing_ = true;
      publishing_since_ = absl::Now();
    }
    const bool published = PublishWithRetry(*consumer, batches, *stop);
    absl::MutexLock lock(&mu_);
    for (Pending& pending : batches) done_.push_back(std::move(pending));
    publishing_ = false;
    if (!published && !stop->load()) given_up_ = true;
  }
}

void IngestPipeline::ReportStuckPublish(kafka::Consumer& consumer) {
  absl::Duration waited;
  {
    absl::MutexLock lock(&mu_);
    if (!publishing_) return;
    waited = absl::Now() - publishing_since_;
  }
  if (waited < absl::Seconds(5)) return;
  const std::string why =
      absl::StrCat("a batch has waited ", absl::FormatDuration(absl::Trunc(waited, absl::Seconds(1))), " to be published");
  dependencies_->Report("kafka", absl::UnavailableError(why));
  if (waited >= settings_.stuck_publish_exit && consumer.CheckBrokers(absl::Seconds(2)).ok()) {
    LOG_ERROR("kafka transaction stuck although the brokers answer; exiting so that a fresh process takes over")
        .Field("why", why)
        .Field("lost", "nothing: the open transaction is aborted and its input read again");
    std::fflush(stderr);
    std::_Exit(75);  // EX_TEMPFAIL: restart me
  }
}

void IngestPipeline::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](IngestPipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) { return p->queue_.empty() && !p->publishing_; },
      this));
}

void IngestPipeline::CheckMemory(const absl::Status& claimed) {
  if (!absl::IsFailedPrecondition(claimed)) {
    if (claimed.ok()) dependencies_->Report("state", absl::OkStatus());
    return;
  }
  dependencies_->Report("state", claimed);
  metrics_->state_lost().Set(1);
  auto requested = dedupe_->RebuildRequested();
  if (!requested.ok() || !*requested) return;
  LOG_WARN("rebuilding the de-duplication memory from the canonical topic");
  if (absl::Status rebuilt = rebuild_(); !rebuilt.ok()) {
    LOG_ERROR("rebuilding the de-duplication memory failed; retrying").Field("error", rebuilt.ToString());
    return;
  }
  metrics_->state_lost().Set(0);
  dependencies_->Report("state", absl::OkStatus());
  LOG_INFO("de-duplication memory rebuilt");
}

void IngestPipeline::Run(kafka::Consumer& consumer, const std::atomic<bool>& stop) {
  std::thread publisher([this, &consumer, &stop] { PublisherLoop(&consumer, &stop); });
  Backoff poll_backoff(absl::Milliseconds(100), absl::Seconds(5));
  std::vector<Pending> garbage;
  while (!stop.load()) {
    liveness_->Beat();
    bool given_up = false;
    {
      absl::MutexLock lock(&mu_);
      garbage.swap(done_);
      given_up = given_up_;
    }
    garbage.clear();
    if (given_up) ReadAgainFromCommitted(consumer, stop);
    auto batch = consumer.PollBatch(settings_.max_batch, settings_.poll_wait);
    const absl::Time polled_at = absl::Now();
    metrics_->consumer_lag().Set(static_cast<double>(consumer.Lag()));
    if (!batch.ok()) {
      dependencies_->Report("kafka", batch.status());
      poll_backoff.Wait(stop);
      continue;
    }
    poll_backoff.Reset();
    if (batch->empty()) {
      ReportStuckPublish(consumer);
      // Idle after an outage: only a broker's answer shows that Kafka is back.
      if (!dependencies_->up("kafka") && !publishing()) {
        dependencies_->Report("kafka", consumer.CheckBrokers(absl::Seconds(2)));
      }
      if (absl::Now() - last_verify_ >= settings_.verify_interval) {
        last_verify_ = absl::Now();
        auto intact = dedupe_->Intact();
        dependencies_->Report("redis", intact.status());
        if (intact.ok()) {
          CheckMemory(*intact ? absl::OkStatus()
                              : absl::FailedPreconditionError(
                                    "the de-duplication memory is gone (Redis lost its data): repeats would pass; run "
                                    "`retentionctl rebuild ingest` to rebuild it from retention.interactions.v1"));
        }
      }
      continue;
    }
    // Claims are keyed by record position, so processing a batch again is harmless.
    Backoff backoff(absl::Milliseconds(100), absl::Seconds(5));
    std::optional<BatchOutput> output;
    while (!output.has_value()) {
      const absl::Time start = absl::Now();
      auto processed = ingestor_->ProcessRecords(*batch, start);
      metrics_->phase_seconds("process").Observe(absl::ToDoubleSeconds(absl::Now() - start));
      liveness_->Beat();
      if (processed.ok()) {
        dependencies_->Report("redis", absl::OkStatus());
        CheckMemory(absl::OkStatus());
        output = std::move(*processed);
      } else if (absl::IsFailedPrecondition(processed.status())) {
        // Fail closed: the batch is held (never published without de-duplication).
        dependencies_->Report("redis", absl::OkStatus());
        CheckMemory(processed.status());
        if (!backoff.Wait(stop)) break;
      } else if (absl::IsAborted(processed.status())) {
        // An event of the batch is being submitted over gRPC: its claim resolves soon.
        if (!backoff.Wait(stop)) break;
      } else {
        dependencies_->Report("redis", processed.status());
        if (!backoff.Wait(stop)) break;  // uncommitted: the batch is read again later
      }
    }
    if (!output.has_value()) break;
    const absl::Condition room_or_given_up(
        +[](IngestPipeline* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) {
          return p->given_up_ || p->queue_.size() < p->settings_.max_pending_batches;
        },
        this);
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (mu_.AwaitWithTimeout(room_or_given_up, absl::Seconds(1))) {
          // Given up: this batch is dropped with the queue and read again.
          if (!given_up_) queue_.push_back(Pending{std::move(*batch), std::move(*output), polled_at});
          break;
        }
      }
      ReportStuckPublish(consumer);  // (no liveness beat here: a publish stuck for good restarts the pod)
    }
  }
  {
    absl::MutexLock lock(&mu_);
    finished_ = true;
  }
  publisher.join();
}

}  // namespace retention::ingest
