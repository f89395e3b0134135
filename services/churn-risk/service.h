// churn-risk's adapters: its metrics, the batch processor for the stateful pipeline,
// and ChurnRiskService over gRPC (sync API: every call blocks on Redis).
#pragma once

#include <mutex>

#include "libs/pipeline/signal_hub.h"
#include "libs/pipeline/stateful_pipeline.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "retention/v1/churn_risk.grpc.pb.h"
#include "services/churn-risk/engine.h"
#include "services/churn-risk/store.h"

namespace retention::churn {

struct ChurnMetrics {
  explicit ChurnMetrics(prometheus::Registry& registry);

  prometheus::Counter& inputs_applied;
  prometheus::Counter& inputs_redelivered;
  prometheus::Counter& inputs_unreadable;
  prometheus::Counter& signals_published;
  prometheus::Histogram& batch_seconds;
  prometheus::Histogram& input_to_signal_seconds;
  prometheus::Gauge& consumer_lag;
};

class ChurnBatchProcessor : public pipeline::BatchProcessor {
 public:
  ChurnBatchProcessor(ChurnEngine* engine, ChurnStore* store, ChurnMetrics* metrics)
      : engine_(engine), store_(store), metrics_(metrics) {}

  absl::StatusOr<std::unique_ptr<pipeline::BatchWork>> Process(const std::vector<kafka::ConsumedRecord>& records,
                                                               absl::Time now) override;

 private:
  ChurnEngine* engine_;
  ChurnStore* store_;
  ChurnMetrics* metrics_;
};

using RiskHub = pipeline::SignalHub<v1::ChurnRiskSignal>;

bool Matches(const v1::RiskFilter& filter, const v1::ChurnRisk& risk);

class ChurnGrpcService final : public v1::ChurnRiskService::Service {
 public:
  // `store` has its own Redis connection, used under a lock.
  ChurnGrpcService(const v1::ChurnModel* model, RedisChurnStore* store, RiskHub* hub)
      : model_(model), store_(store), hub_(hub) {}

  grpc::Status GetRisk(grpc::ServerContext*, const v1::GetRiskRequest*, v1::ChurnRisk*) override;
  grpc::Status ListAtRisk(grpc::ServerContext*, const v1::ListAtRiskRequest*, v1::ListAtRiskResponse*) override;
  grpc::Status StreamRisk(grpc::ServerContext*, const v1::StreamRiskRequest*,
                          grpc::ServerWriter<v1::ChurnRiskSignal>*) override;
  grpc::Status GetDefectionInsights(grpc::ServerContext*, const v1::GetDefectionInsightsRequest*,
                                    v1::DefectionInsights*) override;

 private:
  const v1::ChurnModel* model_;
  std::mutex mu_;  // guards store_
  RedisChurnStore* store_;
  RiskHub* hub_;
};

}  // namespace retention::churn
