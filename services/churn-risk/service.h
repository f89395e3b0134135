// ChurnRiskService over gRPC: reads account states (pooled Redis connections) and
// assesses them at the service's clock with the engine's own Assess; listings from
// the rankings the loop keeps; defection insights from its counters; StreamRisk from
// the churn-risk topic.
#pragma once

#include "libs/stream/clock.h"
#include "libs/stream/redis_state_store.h"
#include "libs/stream/signal_hub.h"
#include "libs/stream/stateful_loop.h"
#include "retention/v1/churn_risk.grpc.pb.h"
#include "services/churn-risk/engine.h"

namespace retention::churn {

using RiskHub = stream::SignalHub<v1::ChurnRiskSignal>;

bool Matches(const v1::RiskFilter& filter, const v1::ChurnRisk& risk);

class ChurnGrpcService final : public v1::ChurnRiskService::Service {
 public:
  ChurnGrpcService(const ChurnEngine* engine, stream::AccountReader* reader, const stream::Clock* clock,
                   const stream::ServingGate* gate, RiskHub* hub)
      : engine_(engine), reader_(reader), clock_(clock), gate_(gate), hub_(hub) {}

  grpc::Status GetRisk(grpc::ServerContext*, const v1::GetRiskRequest*, v1::ChurnRisk*) override;
  grpc::Status ListAtRisk(grpc::ServerContext*, const v1::ListAtRiskRequest*, v1::ListAtRiskResponse*) override;
  grpc::Status StreamRisk(grpc::ServerContext*, const v1::StreamRiskRequest*,
                          grpc::ServerWriter<v1::ChurnRiskSignal>*) override;
  grpc::Status GetDefectionInsights(grpc::ServerContext*, const v1::GetDefectionInsightsRequest*,
                                    v1::DefectionInsights*) override;

 private:
  const ChurnEngine* engine_;
  stream::AccountReader* reader_;
  const stream::Clock* clock_;
  const stream::ServingGate* gate_;
  RiskHub* hub_;
};

}  // namespace retention::churn
