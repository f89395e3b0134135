// churn-risk: churn probability, tier, drivers and revenue at risk per account, from
// retention.interactions.v1 and retention.health.v1, published to
// retention.churn-risk.v1 and served over gRPC. This file only wires the parts.
#include "absl/flags/flag.h"
#include "libs/service/stateful_service.h"
#include "libs/stream/batch_folder.h"
#include "services/churn-risk/engine.h"
#include "services/churn-risk/model.h"
#include "services/churn-risk/service.h"

ABSL_FLAG(std::string, model, "", "Path of the churn model file (retention.v1.ChurnModel, text format). Required");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, health_topic, "retention.health.v1", "Topic of health signals");
ABSL_FLAG(std::string, churn_topic, "retention.churn-risk.v1", "Topic churn-risk signals are published to");
ABSL_FLAG(std::string, quarantine_topic, "retention.churn-risk.quarantine", "Topic of inputs set aside, with why");
ABSL_FLAG(std::string, group_id, "retention-churn-risk", "Kafka consumer group of the churn-risk replicas");
ABSL_FLAG(std::string, state_prefix, "churn", "Redis key prefix of this deployment's state (one per deployment sharing a Redis)");
ABSL_FLAG(int, max_batch, 2000, "Most inputs processed in one batch");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");

int main(int argc, char** argv) {
  using namespace retention;
  config::ParseFlags(argc, argv,
                     "churn-risk: churn probability, tier and drivers per account.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  auto common = config::ReadCommonFlags("churn-risk");
  if (!common.ok()) config::ExitOnConfigError("churn-risk", common.status());
  if (absl::GetFlag(FLAGS_model).empty()) {
    config::ExitOnConfigError("churn-risk", absl::InvalidArgumentError("--model is required"));
  }
  auto model = churn::LoadModel(absl::GetFlag(FLAGS_model));
  if (!model.ok()) config::ExitOnConfigError("churn-risk", model.status());
  if (absl::GetFlag(FLAGS_max_batch) < 1) {
    config::ExitOnConfigError("churn-risk", absl::InvalidArgumentError("--max_batch must be at least 1"));
  }

  service::Service base("churn-risk", "retention_churn", *common, {"kafka", "redis", "state"});
  churn::ChurnEngine engine({*model, absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_health_topic),
                             absl::GetFlag(FLAGS_churn_topic)});
  stream::EngineFolder<churn::ChurnEngine> folder(&engine);
  service::StatefulService stateful(
      &base,
      {absl::GetFlag(FLAGS_state_prefix), {"by_revenue", "by_priority"}, absl::GetFlag(FLAGS_group_id),
       {absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_health_topic)}, absl::GetFlag(FLAGS_churn_topic),
       absl::GetFlag(FLAGS_quarantine_topic),
       static_cast<size_t>(absl::GetFlag(FLAGS_max_batch)), absl::GetFlag(FLAGS_poll_wait)},
      &folder);
  churn::RiskHub hub;
  stateful.Feed(absl::GetFlag(FLAGS_churn_topic), &hub, "churn-stream");
  stateful.OnStop([&hub] { hub.Close(); });
  churn::ChurnGrpcService grpc(&engine, &stateful.reader(), &base.clock(), &stateful.gate(), &hub);
  base.Serve({&grpc}, {"retention.v1.ChurnRiskService"});
  base.Ready({{"model_version", model->version()}});
  return stateful.Run();
}
