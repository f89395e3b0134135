// HealthService over gRPC: reads state from the store and scores it with the same
// Evaluate as the pipeline; WatchHealth streams what the hub receives from the health
// topic. Sync API: every call blocks on Redis, which its thread pool absorbs.
#pragma once

#include <mutex>

#include "retention/v1/health.grpc.pb.h"
#include "services/health-score/engine.h"
#include "services/health-score/signal_hub.h"
#include "services/health-score/store.h"

namespace retention::health {

class HealthGrpcService final : public v1::HealthService::Service {
 public:
  // `store` has its own Redis connection, used under a lock.
  HealthGrpcService(const v1::ScorecardSet* scorecards, HealthStore* store, SignalHub* hub)
      : scorecards_(scorecards), store_(store), hub_(hub) {}

  grpc::Status GetHealth(grpc::ServerContext*, const v1::GetHealthRequest*, v1::AccountHealth*) override;
  grpc::Status ListAccounts(grpc::ServerContext*, const v1::ListAccountsRequest*,
                            v1::ListAccountsResponse*) override;
  grpc::Status WatchHealth(grpc::ServerContext*, const v1::WatchHealthRequest*,
                           grpc::ServerWriter<v1::HealthSignal>*) override;
  grpc::Status SetOverride(grpc::ServerContext*, const v1::SetOverrideRequest*, v1::AccountHealth*) override;
  grpc::Status ClearOverride(grpc::ServerContext*, const v1::ClearOverrideRequest*, v1::AccountHealth*) override;

 private:
  // The account's current health; NOT_FOUND if never seen.
  grpc::Status Current(const std::string& account, v1::AccountHealth* out);

  const v1::ScorecardSet* scorecards_;
  std::mutex mu_;  // guards store_
  HealthStore* store_;
  SignalHub* hub_;
};

}  // namespace retention::health
