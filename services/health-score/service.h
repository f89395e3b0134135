// HealthService over gRPC: reads account states (pooled Redis connections) and
// evaluates them at the service's clock with the engine's own Evaluate; records
// override decisions on the overrides topic and answers once health-score applied
// them; WatchHealth streams the health topic.
#pragma once

#include <string>

#include "libs/kafka/producer.h"
#include "libs/stream/clock.h"
#include "libs/stream/redis_state_store.h"
#include "libs/stream/signal_hub.h"
#include "libs/stream/stateful_loop.h"
#include "retention/v1/health.grpc.pb.h"
#include "services/health-score/engine.h"
#include "services/health-score/health_state.pb.h"

namespace retention::health {

using HealthHub = stream::SignalHub<v1::HealthSignal>;

bool Matches(const v1::HealthFilter& filter, const v1::AccountHealth& health);

struct ServiceSettings {
  std::string overrides_topic = "retention.health.overrides.v1";
  // How long SetOverride and ClearOverride wait for the decision to be applied.
  absl::Duration apply_timeout = absl::Seconds(10);
};

class HealthGrpcService final : public v1::HealthService::Service {
 public:
  HealthGrpcService(ServiceSettings settings, const HealthEngine* engine, stream::AccountReader* reader,
                    kafka::Producer* producer, const stream::Clock* clock, const stream::ServingGate* gate,
                    HealthHub* hub)
      : settings_(std::move(settings)),
        engine_(engine),
        reader_(reader),
        producer_(producer),
        clock_(clock),
        gate_(gate),
        hub_(hub) {}

  grpc::Status GetHealth(grpc::ServerContext*, const v1::GetHealthRequest*, v1::AccountHealth*) override;
  grpc::Status ListAccounts(grpc::ServerContext*, const v1::ListAccountsRequest*, v1::ListAccountsResponse*) override;
  grpc::Status WatchHealth(grpc::ServerContext*, const v1::WatchHealthRequest*,
                           grpc::ServerWriter<v1::HealthSignal>*) override;
  grpc::Status SetOverride(grpc::ServerContext*, const v1::SetOverrideRequest*, v1::AccountHealth*) override;
  grpc::Status ClearOverride(grpc::ServerContext*, const v1::ClearOverrideRequest*, v1::AccountHealth*) override;

 private:
  // The account's stored state; NOT_FOUND if never seen.
  absl::StatusOr<healthscore::HealthState> Load(const std::string& account);
  // Records the decision, waits until it is applied, answers the account's health.
  grpc::Status Decide(const std::string& account, v1::OverrideRecord record, v1::AccountHealth* response);

  ServiceSettings settings_;
  const HealthEngine* engine_;
  stream::AccountReader* reader_;
  kafka::Producer* producer_;
  const stream::Clock* clock_;
  const stream::ServingGate* gate_;
  HealthHub* hub_;
};

}  // namespace retention::health
