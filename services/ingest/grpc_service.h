// The IngestService gRPC API over the ingest logic: Submit validates, de-duplicates and
// publishes a batch, answering per event once the accepted ones are on the v1 topic.
#pragma once

#include <memory>
#include <mutex>

#include "absl/time/time.h"
#include "libs/dependency/dependency_health.h"
#include "libs/kafka/producer.h"
#include "retention/v1/ingest_service.grpc.pb.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/metrics.h"
#include "services/ingest/validate.h"

namespace retention::ingest {

// Synchronous service: Submit blocks on Redis and on Kafka's acknowledgement, which the
// sync API's thread pool absorbs better than callback reactors would.
class IngestGrpcService final : public v1::IngestService::Service {
 public:
  // `ingestor` (with its own dedupe store and Redis connection) is used under a lock;
  // `producer` is an idempotent, non-transactional producer.
  IngestGrpcService(Ingestor* ingestor, kafka::Producer* producer, IngestMetrics* metrics,
                    dependency::DependencyHealth* dependencies, absl::Duration publish_timeout)
      : ingestor_(ingestor),
        producer_(producer),
        metrics_(metrics),
        dependencies_(dependencies),
        publish_timeout_(publish_timeout) {}

  grpc::Status Submit(grpc::ServerContext* context, const v1::SubmitRequest* request,
                      v1::SubmitResponse* response) override;

 private:
  std::mutex mu_;  // guards ingestor_ (its Redis client is single-threaded)
  Ingestor* ingestor_;
  kafka::Producer* producer_;
  IngestMetrics* metrics_;
  dependency::DependencyHealth* dependencies_;
  absl::Duration publish_timeout_;
};

}  // namespace retention::ingest
