// ReferencePipelineService over gRPC: profiles and candidates read from the account
// states (pooled Redis connections) and evaluated at the service's clock; request
// commands recorded on the requests topic and answered once reference-pipeline, which
// owns the account, decided them; WatchAdvocacy streams the advocacy topic.
#pragma once

#include <string>

#include "libs/kafka/producer.h"
#include "libs/stream/clock.h"
#include "libs/stream/redis_state_store.h"
#include "libs/stream/signal_hub.h"
#include "libs/stream/stateful_loop.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "retention/v1/advocacy.grpc.pb.h"
#include "services/reference-pipeline/engine.h"

namespace retention::reference {

using AdvocacyHub = stream::SignalHub<v1::AdvocacySignal>;

struct ServiceSettings {
  std::string requests_topic = "retention.advocacy.requests.v1";
  int32_t partitions = 1;  // of the requests topic (co-partitioned with the inputs)
  // How long CreateRequest and UpdateRequest wait for the decision.
  absl::Duration decide_timeout = absl::Seconds(10);
};

class ReferenceGrpcService final : public v1::ReferencePipelineService::Service {
 public:
  ReferenceGrpcService(ServiceSettings settings, const ReferenceEngine* engine, stream::AccountReader* reader,
                       kafka::Producer* producer, const stream::Clock* clock, const stream::ServingGate* gate,
                       AdvocacyHub* hub, prometheus::Registry& registry);

  grpc::Status FindReferences(grpc::ServerContext*, const v1::FindReferencesRequest*,
                              v1::FindReferencesResponse*) override;
  grpc::Status CreateRequest(grpc::ServerContext*, const v1::CreateRequestRequest*, v1::ReferenceRequest*) override;
  grpc::Status UpdateRequest(grpc::ServerContext*, const v1::UpdateRequestRequest*, v1::ReferenceRequest*) override;
  grpc::Status GetRequest(grpc::ServerContext*, const v1::GetRequestRequest*, v1::ReferenceRequest*) override;
  grpc::Status GetAdvocacyProfile(grpc::ServerContext*, const v1::GetAdvocacyProfileRequest*,
                                  v1::AdvocacyProfile*) override;
  grpc::Status WatchAdvocacy(grpc::ServerContext*, const v1::WatchAdvocacyRequest*,
                             grpc::ServerWriter<v1::AdvocacySignal>*) override;

 private:
  absl::StatusOr<ReferenceAccountState> Load(const std::string& account);
  // The account a request belongs to; NOT_FOUND if none.
  absl::StatusOr<std::string> AccountOf(const std::string& request_id);
  // Records a proposed command and waits for its decision; the request as decided.
  absl::StatusOr<v1::ReferenceRequest> Propose(v1::RequestRecord record);

  ServiceSettings settings_;
  const ReferenceEngine* engine_;
  stream::AccountReader* reader_;
  kafka::Producer* producer_;
  const stream::Clock* clock_;
  const stream::ServingGate* gate_;
  AdvocacyHub* hub_;
  prometheus::Histogram& find_seconds_;
};

}  // namespace retention::reference
