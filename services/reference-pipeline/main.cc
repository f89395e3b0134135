// reference-pipeline: advocacy profiles, reference eligibility and ranking, request
// life cycle and advocacy triggers, from retention.interactions.v1,
// retention.health.v1, retention.churn-risk.v1 and retention.advocacy.requests.v1,
// published to retention.advocacy.v1 and served over gRPC. This file only wires.
#include "absl/flags/flag.h"
#include "libs/service/stateful_service.h"
#include "libs/stream/batch_folder.h"
#include "services/reference-pipeline/engine.h"
#include "services/reference-pipeline/policy.h"
#include "services/reference-pipeline/service.h"

ABSL_FLAG(std::string, policy, "", "Path of the reference policy (retention.v1.ReferencePolicy, text format). Required");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, health_topic, "retention.health.v1", "Topic of health signals");
ABSL_FLAG(std::string, churn_topic, "retention.churn-risk.v1", "Topic of churn-risk signals");
ABSL_FLAG(std::string, requests_topic, "retention.advocacy.requests.v1", "Topic of reference requests (compacted)");
ABSL_FLAG(std::string, advocacy_topic, "retention.advocacy.v1", "Topic advocacy signals are published to");
ABSL_FLAG(std::string, quarantine_topic, "retention.reference-pipeline.quarantine", "Topic of inputs set aside");
ABSL_FLAG(std::string, group_id, "retention-reference-pipeline", "Kafka consumer group of the replicas");
ABSL_FLAG(std::string, state_prefix, "ref", "Redis key prefix of this deployment's state (one per deployment sharing a Redis)");
ABSL_FLAG(int, max_batch, 2000, "Most inputs processed in one batch");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");

int main(int argc, char** argv) {
  using namespace retention;
  const char* name = "reference-pipeline";
  config::ParseFlags(argc, argv,
                     "reference-pipeline: advocates, reference eligibility and requests.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  auto common = config::ReadCommonFlags(name);
  if (!common.ok()) config::ExitOnConfigError(name, common.status());
  if (absl::GetFlag(FLAGS_policy).empty()) config::ExitOnConfigError(name, absl::InvalidArgumentError("--policy is required"));
  auto policy = reference::LoadPolicy(absl::GetFlag(FLAGS_policy));
  if (!policy.ok()) config::ExitOnConfigError(name, policy.status());
  if (absl::GetFlag(FLAGS_max_batch) < 1) {
    config::ExitOnConfigError(name, absl::InvalidArgumentError("--max_batch must be at least 1"));
  }

  service::Service base(name, "retention_reference", *common, {"kafka", "redis", "state"});
  reference::ReferenceEngine engine({*policy, absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_health_topic),
                                     absl::GetFlag(FLAGS_churn_topic), absl::GetFlag(FLAGS_requests_topic),
                                     absl::GetFlag(FLAGS_advocacy_topic)});
  stream::EngineFolder<reference::ReferenceEngine> folder(&engine);
  service::StatefulService stateful(
      &base,
      {absl::GetFlag(FLAGS_state_prefix), {"eligible"}, absl::GetFlag(FLAGS_group_id),
       {absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_health_topic), absl::GetFlag(FLAGS_churn_topic),
        absl::GetFlag(FLAGS_requests_topic)},
       /*signal_topic=*/"", absl::GetFlag(FLAGS_quarantine_topic), static_cast<size_t>(absl::GetFlag(FLAGS_max_batch)),
       absl::GetFlag(FLAGS_poll_wait)},
      &folder);
  reference::AdvocacyHub hub;
  stateful.Feed(absl::GetFlag(FLAGS_advocacy_topic), &hub, "advocacy-stream");
  stateful.OnStop([&hub] { hub.Close(); });
  reference::ReferenceGrpcService grpc({absl::GetFlag(FLAGS_requests_topic), stateful.partitions()}, &engine,
                                       &stateful.reader(), &stateful.producer(), &base.clock(), &stateful.gate(), &hub,
                                       base.registry());
  base.Serve({&grpc}, {"retention.v1.ReferencePipelineService"});
  base.Ready({{"policy_version", policy->version()}});
  return stateful.Run();
}
