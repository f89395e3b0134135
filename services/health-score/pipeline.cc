#include "services/health-score/pipeline.h"

#include <algorithm>

namespace retention::health {
namespace {

class HealthBatch : public pipeline::BatchWork {
 public:
  HealthBatch(BatchResult result, HealthStore* store, HealthMetrics* metrics)
      : result_(std::move(result)), store_(store), metrics_(metrics) {}

  const std::vector<kafka::OutgoingRecord>& signals() const override { return result_.signals; }
  absl::Status Save() override { return store_->Save(result_.states, result_.summaries); }
  void Committed(absl::Time delivered) override {
    metrics_->events_applied.Increment(static_cast<double>(result_.applied));
    metrics_->events_redelivered.Increment(static_cast<double>(result_.redelivered));
    metrics_->events_unreadable.Increment(static_cast<double>(result_.unreadable));
    metrics_->signals_published.Increment(static_cast<double>(result_.signals.size()));
    for (const absl::Time received : result_.trigger_received_at) {
      metrics_->event_to_signal_seconds.Observe(std::max(0.0, absl::ToDoubleSeconds(delivered - received)));
    }
  }

 private:
  BatchResult result_;
  HealthStore* store_;
  HealthMetrics* metrics_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<pipeline::BatchWork>> HealthBatchProcessor::Process(
    const std::vector<kafka::ConsumedRecord>& records, absl::Time now) {
  auto result = engine_->Process(records, now);
  if (!result.ok()) return result.status();
  return std::make_unique<HealthBatch>(std::move(*result), store_, metrics_);
}

}  // namespace retention::health
