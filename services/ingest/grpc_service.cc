#include "services/ingest/grpc_service.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "libs/log/log.h"

namespace retention::ingest {
namespace {

std::string NewCallId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("%016x%016x", rng(), rng());
}

}  // namespace

grpc::Status IngestGrpcService::Submit(grpc::ServerContext* context, const v1::SubmitRequest* request,
                                       v1::SubmitResponse* response) {
  if (request->events_size() == 0 || request->events_size() > kMaxSubmitEvents) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("events: expected 1-", kMaxSubmitEvents, " events, got ",
                                     request->events_size()));
  }
  const std::vector<v1::InteractionEvent> events(request->events().begin(), request->events().end());
  absl::StatusOr<SubmitOutput> output;
  {
    std::lock_guard<std::mutex> lock(mu_);
    output = ingestor_->ProcessSubmitted(events, NewCallId(), absl::Now());
  }
  if (!output.ok()) {
    dependencies_->Report("redis", output.status());
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("de-duplication store unavailable: ", output.status().message()));
  }
  if (!output->records.empty()) {
    if (absl::Status published = producer_->ProduceAndWait(output->records, publish_timeout_); !published.ok()) {
      dependencies_->Report("kafka", published);
      {
        // Free the ids again so that the caller's retry is not taken for a repeat.
        std::lock_guard<std::mutex> lock(mu_);
        ingestor_->ReleaseClaims(output->claims).IgnoreError();
      }
      LOG_WARN("submit: publishing failed").Field("error", published.ToString());
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("publishing to Kafka failed; retry the call: ", published.message()));
    }
  }
  metrics_->Add("grpc", output->counts);
  for (v1::SubmitResult& result : output->results) *response->add_results() = std::move(result);
  return grpc::Status::OK;
}

}  // namespace retention::ingest
