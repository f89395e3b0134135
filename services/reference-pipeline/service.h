// reference-pipeline's adapters: its metrics, the batch processor for the stateful
// pipeline, and ReferencePipelineService over gRPC (sync API: every call blocks on Redis).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "libs/kafka/producer.h"
#include "libs/pipeline/signal_hub.h"
#include "libs/pipeline/stateful_pipeline.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "retention/v1/advocacy.grpc.pb.h"
#include "services/reference-pipeline/engine.h"
#include "services/reference-pipeline/store.h"

namespace retention::reference {

struct ReferenceMetrics {
  explicit ReferenceMetrics(prometheus::Registry& registry);

  prometheus::Counter& inputs_applied;
  prometheus::Counter& inputs_redelivered;
  prometheus::Counter& inputs_unreadable;
  prometheus::Counter& signals_published;
  prometheus::Counter& request_changes;
  prometheus::Histogram& batch_seconds;
  prometheus::Histogram& find_seconds;
  prometheus::Gauge& consumer_lag;
};

class ReferenceBatchProcessor : public pipeline::BatchProcessor {
 public:
  ReferenceBatchProcessor(ReferenceEngine* engine, ProfileStore* store, ReferenceMetrics* metrics)
      : engine_(engine), store_(store), metrics_(metrics) {}

  absl::StatusOr<std::unique_ptr<pipeline::BatchWork>> Process(const std::vector<kafka::ConsumedRecord>& records,
                                                               absl::Time now) override;

 private:
  ReferenceEngine* engine_;
  ProfileStore* store_;
  ReferenceMetrics* metrics_;
};

using AdvocacyHub = pipeline::SignalHub<v1::AdvocacySignal>;

// Redis connections for the gRPC handlers: each call leases one, so that calls run
// side by side on their own connections.
class StorePool {
 public:
  StorePool(const redis::RedisOptions& options, int size);

  // A store and the lock on its connection, held until the lease goes.
  class Lease {
   public:
    Lease(std::mutex& mu, RedisReferenceStore* store) : lock_(mu), store_(store) {}
    RedisReferenceStore* operator->() { return store_; }

   private:
    std::unique_lock<std::mutex> lock_;
    RedisReferenceStore* store_;
  };
  Lease Get();

 private:
  struct Slot {
    std::mutex mu;
    std::unique_ptr<redis::RedisClient> redis;
    std::unique_ptr<RedisReferenceStore> store;
  };
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<uint64_t> next_{0};
};

struct ServiceSettings {
  v1::ReferencePolicy policy;
  std::string advocacy_topic = "retention.advocacy.v1";
  absl::Duration publish_timeout = absl::Seconds(10);
};

class ReferenceGrpcService final : public v1::ReferencePipelineService::Service {
 public:
  // `producer` publishes request changes to the advocacy topic.
  ReferenceGrpcService(ServiceSettings settings, StorePool* stores, kafka::KafkaProducer* producer, AdvocacyHub* hub,
                       ReferenceMetrics* metrics)
      : settings_(std::move(settings)), stores_(stores), producer_(producer), hub_(hub), metrics_(metrics) {}

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
  // The account's profile evaluated now, or NOT_FOUND / UNAVAILABLE.
  absl::StatusOr<v1::AdvocacyProfile> Profile(StorePool::Lease& store, const std::string& account);
  // Publishes the request's change to the advocacy topic.
  grpc::Status Announce(const v1::ReferenceRequest& request, const v1::AdvocacyProfile& profile);

  ServiceSettings settings_;
  // Serialises request changes of this replica: the eligibility check and the creation
  // of a request must not interleave with another's.
  std::mutex requests_mu_;
  StorePool* stores_;
  kafka::KafkaProducer* producer_;
  AdvocacyHub* hub_;
  ReferenceMetrics* metrics_;
};

}  // namespace retention::reference
