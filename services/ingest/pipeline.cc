#include "services/ingest/pipeline.h"

#include "absl/time/clock.h"
#include "libs/log/log.h"
#include "libs/status/backoff.h"

namespace retention::ingest {

IngestPipeline::IngestPipeline(PipelineSettings settings, Ingestor* ingestor, kafka::KafkaConsumer* consumer,
                               ProducerFactory make_producer, IngestMetrics* metrics,
                               std::function<void(bool healthy)> on_health)
    : settings_(settings),
      ingestor_(ingestor),
      consumer_(consumer),
      make_producer_(std::move(make_producer)),
      metrics_(metrics),
      on_health_(std::move(on_health)) {}

absl::Status IngestPipeline::Init() {
  auto producer = make_producer_();
  if (!producer.ok()) return producer.status();
  producer_ = std::move(*producer);
  return absl::OkStatus();
}

void IngestPipeline::SetHealth(const std::string& dependency, bool ok, const absl::Status& error) {
  bool& flag = dependency == "kafka" ? kafka_ok_ : redis_ok_;
  if (!ok) {
    metrics_->DependencyError(dependency);
    // At most one line per dependency every 10 s while it stays down.
    absl::Time& last = last_warning_[dependency];
    if (flag || absl::Now() - last > absl::Seconds(10)) {
      last = absl::Now();
      LOG_WARN("dependency failed; retrying").Field("dependency", dependency).Field("error", error.ToString());
    }
  } else if (!flag) {
    LOG_INFO("dependency recovered").Field("dependency", dependency);
  }
  if (flag == ok) return;
  flag = ok;
  metrics_->SetDependencyUp(dependency, ok);
  if (on_health_) on_health_(kafka_ok_ && redis_ok_);
}

absl::Status IngestPipeline::Publish(const BatchOutput& output,
                                     const std::vector<kafka::ConsumedRecord>& batch) {
  if (auto s = producer_->BeginTransaction(); !s.ok()) return s;
  for (const kafka::OutgoingRecord& record : output.records) {
    if (auto s = producer_->Produce(record); !s.ok()) return absl::AbortedError(s.message());
  }
  // Retriable calls may be repeated as they are; they resume where they stopped.
  absl::Status status;
  for (int attempt = 0; attempt < 4; ++attempt) {
    status = producer_->SendOffsetsToTransaction(kafka::NextOffsets(batch), *consumer_,
                                                 settings_.kafka_call_timeout);
    if (!absl::IsUnavailable(status)) break;
  }
  if (!status.ok()) return status;
  for (int attempt = 0; attempt < 4; ++attempt) {
    status = producer_->CommitTransaction(settings_.kafka_call_timeout);
    if (!absl::IsUnavailable(status)) break;
  }
  return status;
}

void IngestPipeline::ProcessBatch(const std::vector<kafka::ConsumedRecord>& batch,
                                  const std::atomic<bool>& stop) {
  const absl::Time started = absl::Now();
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (true) {
    // Claims are keyed by record position, so processing a batch again is harmless.
    auto output = ingestor_->ProcessRecords(batch, absl::Now());
    if (!output.ok()) {
      SetHealth("redis", false, output.status());
      if (!backoff.Wait(stop)) return;  // uncommitted: the batch is read again later
      continue;
    }
    SetHealth("redis", true, absl::OkStatus());
    const absl::Status published = Publish(*output, batch);
    if (published.ok()) {
      SetHealth("kafka", true, absl::OkStatus());
      metrics_->Add("kafka", output->counts);
      metrics_->batch_seconds().Observe(absl::ToDoubleSeconds(absl::Now() - started));
      return;
    }
    SetHealth("kafka", false, published);
    if (absl::IsInternal(published)) {
      // Fatal for this producer (e.g. fenced): make a new one and re-read the batch.
      LOG_ERROR("kafka producer failed fatally; recreating it").Field("error", published.ToString());
      producer_.reset();
      while (!stop.load()) {
        auto producer = make_producer_();
        if (producer.ok()) {
          producer_ = std::move(*producer);
          break;
        }
        SetHealth("kafka", false, producer.status());
        if (!backoff.Wait(stop)) return;
      }
      if (auto s = consumer_->Seek(kafka::FirstOffsets(batch)); !s.ok()) {
        LOG_WARN("rewind failed; records come back after a rebalance").Field("error", s.ToString());
      }
      return;
    }
    for (absl::Status aborted = producer_->AbortTransaction(settings_.kafka_call_timeout);
         !aborted.ok(); aborted = producer_->AbortTransaction(settings_.kafka_call_timeout)) {
      SetHealth("kafka", false, aborted);
      if (absl::IsInternal(aborted) || !backoff.Wait(stop)) break;
    }
    if (!backoff.Wait(stop)) return;
  }
}

void IngestPipeline::Run(const std::atomic<bool>& stop) {
  Backoff poll_backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (!stop.load()) {
    auto batch = consumer_->PollBatch(settings_.max_batch, settings_.poll_wait);
    metrics_->consumer_lag().Set(static_cast<double>(consumer_->Lag()));
    if (!batch.ok()) {
      SetHealth("kafka", false, batch.status());
      poll_backoff.Wait(stop);
      continue;
    }
    poll_backoff.Reset();
    if (batch->empty()) {
      // Idle after an outage: only a broker's answer shows that Kafka is back.
      if (!kafka_ok_) {
        const absl::Status probe = consumer_->CheckBrokers(absl::Seconds(2));
        SetHealth("kafka", probe.ok(), probe);
      }
      continue;
    }
    ProcessBatch(*batch, stop);
  }
}

}  // namespace retention::ingest
