#include "libs/pipeline/stateful_pipeline.h"

#include "absl/time/clock.h"
#include "libs/status/backoff.h"

namespace retention::pipeline {

bool StatefulPipeline::Retry(const char* dependency, const std::atomic<bool>& stop,
                             const std::function<absl::Status()>& step) {
  Backoff backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (true) {
    const absl::Status status = step();
    dependencies_->Report(dependency, status);
    if (status.ok()) return true;
    if (!backoff.Wait(stop)) return false;
  }
}

void StatefulPipeline::Run(kafka::KafkaConsumer& consumer, const std::atomic<bool>& stop) {
  Backoff poll_backoff(absl::Milliseconds(100), absl::Seconds(5));
  while (!stop.load()) {
    auto batch = consumer.PollBatch(settings_.max_batch, settings_.poll_wait);
    const absl::Time polled_at = absl::Now();
    consumer_lag_->Set(static_cast<double>(consumer.Lag()));
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
    // Stopping half way leaves the batch uncommitted: it is read again and, the states
    // knowing what they applied, folded in once.
    std::unique_ptr<BatchWork> work;
    if (!Retry("redis", stop, [&] {
          auto processed = processor_->Process(*batch, absl::Now());
          if (processed.ok()) work = std::move(*processed);
          return processed.status();
        })) {
      break;
    }
    if (!work->signals().empty() && !Retry("kafka", stop, [&] {
          return producer_->ProduceAndWait(work->signals(), settings_.publish_timeout);
        })) {
      break;
    }
    const absl::Time delivered = absl::Now();
    if (!Retry("redis", stop, [&] { return work->Save(); })) break;
    if (!Retry("kafka", stop, [&] { return consumer.Commit(kafka::NextOffsets(*batch)); })) break;
    work->Committed(delivered);
    batch_seconds_->Observe(absl::ToDoubleSeconds(absl::Now() - polled_at));
  }
}

}  // namespace retention::pipeline
