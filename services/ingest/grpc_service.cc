#include "services/ingest/grpc_service.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "libs/log/log.h"
#include "libs/stream/quarantine.h"
#include "services/ingest/validate.h"

namespace retention::ingest {
namespace {

std::string NewCallId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("%016x%016x", rng(), rng());
}

}  // namespace

grpc::Status IngestGrpcService::Submit(grpc::ServerContext* context, const v1::SubmitRequest* request,
                                       v1::SubmitResponse* response) {
  if (auto s = ValidateSubmit(*request, ingestor_->settings().max_event_bytes); !s.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(s.message()));
  }
  const std::vector<v1::InteractionEvent> events(request->events().begin(), request->events().end());
  absl::StatusOr<SubmitOutput> output;
  {
    std::lock_guard<std::mutex> lock(mu_);
    output = ingestor_->ProcessSubmitted(events, NewCallId(), absl::Now());
  }
  if (!output.ok()) {
    if (absl::IsFailedPrecondition(output.status())) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, std::string(output.status().message()));
    }
    dependencies_->Report("redis", output.status());
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("de-duplication store unavailable: ", output.status().message()));
  }
  const auto release = [&] {
    // Free the ids again so that the caller's retry is not taken for a repeat.
    std::lock_guard<std::mutex> lock(mu_);
    ingestor_->ReleaseClaims(output->claims).IgnoreError();
  };
  if (!output->in_flight_event_id.empty()) {
    release();
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("event ", stream::Clip(output->in_flight_event_id),
                                     " is being submitted by another call right now; retry in a few seconds"));
  }
  if (!output->records.empty()) {
    if (absl::Status published = producer_->ProduceAndWait(output->records, publish_timeout_); !published.ok()) {
      dependencies_->Report("kafka", published);
      release();
      LOG_WARN("submit: publishing failed").Field("error", published.ToString());
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("publishing to Kafka failed; retry the call: ", published.message()));
    }
    // Published: the ids are now remembered for the whole window. If this fails, the
    // claims lapse and a repeat within the window could pass: retried, then reported.
    absl::Status confirmed;
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::lock_guard<std::mutex> lock(mu_);
      confirmed = ingestor_->ConfirmClaims(output->claims);
      if (confirmed.ok()) break;
    }
    if (!confirmed.ok()) {
      dependencies_->Report("redis", confirmed);
      LOG_WARN("submit: confirming de-duplication claims failed").Field("error", confirmed.ToString());
    }
  }
  metrics_->Add("grpc", output->counts);
  for (v1::SubmitResult& result : output->results) *response->add_results() = std::move(result);
  return grpc::Status::OK;
}

}  // namespace retention::ingest
