// Adapts the health engine to the stateful pipeline (libs/pipeline): a batch's signals,
// its save to the store, and its metrics.
#pragma once

#include <memory>

#include "libs/pipeline/stateful_pipeline.h"
#include "services/health-score/engine.h"
#include "services/health-score/metrics.h"

namespace retention::health {

class HealthBatchProcessor : public pipeline::BatchProcessor {
 public:
  HealthBatchProcessor(HealthEngine* engine, HealthStore* store, HealthMetrics* metrics)
      : engine_(engine), store_(store), metrics_(metrics) {}

  absl::StatusOr<std::unique_ptr<pipeline::BatchWork>> Process(const std::vector<kafka::ConsumedRecord>& records,
                                                               absl::Time now) override;

 private:
  HealthEngine* engine_;
  HealthStore* store_;
  HealthMetrics* metrics_;
};

}  // namespace retention::health
