#include "services/health-score/pipeline.h"

#include "absl/time/clock.h"
#include "libs/status/backoff.h"

namespace retention::health {

bool HealthPipeline::Retry(const char* dependency, const std::atomic<bool>& stop,
                           const std::function<absl::Status()>& step) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (true) {
    const absl::Status status = step();
    dependencies_->Report(dependency, status);
    if (status.ok()) return true;
    if (!backoff.Wait(stop)) return false;
  }
}

void HealthPipeline::Run(kafka::KafkaConsumer& consumer, const std::atomic<bool>& stop) {
  Backoff poll_backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (!stop.load()) {
    auto batch = consumer.PollBatch(settings_.max_batch, settings_.poll_wait);
    const absl::Time polled_at = absl::Now();
    metrics_->consumer_lag.Set(static_cast<double>(consumer.Lag()));
    if (!batch.ok()) {
      dependencies_->Report("kafka", batch.status());
      poll_backoff.Wait(stop);
      continue;
    }
    poll_backoff.Reset();
    if (batch->empty()) {
      if (!dependencies_->up("kafka")) dependencies_->Report("kafka", consumer.CheckBrokers(absl::Seconds(2)));
      continue;
    }
    // Stopping half way leaves the batch uncommitted: it is read again and, being
    // idempotent per account, applied once.
    BatchResult result;
    if (!Retry("redis", stop, [&] {
          auto processed = engine_->Process(*batch, absl::Now());
          if (processed.ok()) result = std::move(*processed);
          return processed.status();
        })) {
      break;
    }
    if (!result.signals.empty() &&
        !Retry("kafka", stop, [&] { return producer_->ProduceAndWait(result.signals, settings_.publish_timeout); })) {
      break;
    }
    const absl::Time delivered = absl::Now();
    if (!Retry("redis", stop, [&] { return store_->Save(result.states, result.summaries); })) break;
    if (!Retry("kafka", stop, [&] { return consumer.Commit(kafka::NextOffsets(*batch)); })) break;

    metrics_->events_applied.Increment(static_cast<double>(result.applied));
    metrics_->events_redelivered.Increment(static_cast<double>(result.redelivered));
    metrics_->events_unreadable.Increment(static_cast<double>(result.unreadable));
    metrics_->signals_published.Increment(static_cast<double>(result.signals.size()));
    metrics_->batch_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - polled_at));
    for (const absl::Time received : result.trigger_received_at) {
      metrics_->event_to_signal_seconds.Observe(std::max(0.0, absl::ToDoubleSeconds(delivered - received)));
    }
  }
}

}  // namespace retention::health
