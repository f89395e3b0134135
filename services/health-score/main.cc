// health-score: real-time, explainable account health from retention.interactions.v1
// and override decisions, published to retention.health.v1 and served over gRPC.
// This file only wires the parts.
#include "absl/flags/flag.h"
#include "libs/service/stateful_service.h"
#include "libs/stream/batch_folder.h"
#include "services/health-score/engine.h"
#include "services/health-score/scorecard.h"
#include "services/health-score/service.h"

ABSL_FLAG(std::string, scorecard, "", "Path of the scorecard file (retention.v1.ScorecardSet, text format). Required");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, overrides_topic, "retention.health.overrides.v1", "Topic of override decisions (compacted)");
ABSL_FLAG(std::string, health_topic, "retention.health.v1", "Topic health signals are published to");
ABSL_FLAG(std::string, quarantine_topic, "retention.health-score.quarantine", "Topic of inputs set aside, with why");
ABSL_FLAG(std::string, group_id, "retention-health-score", "Kafka consumer group of the health-score replicas");
ABSL_FLAG(std::string, state_prefix, "health", "Redis key prefix of this deployment's state (one per deployment sharing a Redis)");
ABSL_FLAG(int, max_batch, 2000, "Most inputs processed in one batch (one Redis round trip each way)");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");

int main(int argc, char** argv) {
  using namespace retention;
  config::ParseFlags(argc, argv,
                     "health-score: explainable account health from retention.interactions.v1.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  auto common = config::ReadCommonFlags("health-score");
  if (!common.ok()) config::ExitOnConfigError("health-score", common.status());
  if (absl::GetFlag(FLAGS_scorecard).empty()) {
    config::ExitOnConfigError("health-score", absl::InvalidArgumentError("--scorecard is required"));
  }
  auto scorecards = health::LoadScorecardSet(absl::GetFlag(FLAGS_scorecard));
  if (!scorecards.ok()) config::ExitOnConfigError("health-score", scorecards.status());
  if (absl::GetFlag(FLAGS_max_batch) < 1) {
    config::ExitOnConfigError("health-score", absl::InvalidArgumentError("--max_batch must be at least 1"));
  }

  service::Service base("health-score", "retention_health", *common, {"kafka", "redis", "state"});
  health::HealthEngine engine({*scorecards, absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_overrides_topic),
                               absl::GetFlag(FLAGS_health_topic)});
  stream::EngineFolder<health::HealthEngine> folder(&engine);
  service::StatefulService stateful(
      &base,
      {absl::GetFlag(FLAGS_state_prefix), {"by_score"}, absl::GetFlag(FLAGS_group_id),
       {absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_overrides_topic)}, absl::GetFlag(FLAGS_health_topic),
       absl::GetFlag(FLAGS_quarantine_topic),
       static_cast<size_t>(absl::GetFlag(FLAGS_max_batch)), absl::GetFlag(FLAGS_poll_wait)},
      &folder);
  health::HealthHub hub;
  stateful.Feed(absl::GetFlag(FLAGS_health_topic), &hub, "health-watch");
  stateful.OnStop([&hub] { hub.Close(); });
  health::HealthGrpcService grpc({absl::GetFlag(FLAGS_overrides_topic)}, &engine, &stateful.reader(),
                                 &stateful.producer(), &base.clock(), &stateful.gate(), &hub);
  base.Serve({&grpc}, {"retention.v1.HealthService"});
  base.Ready({{"scorecard_version", scorecards->version()}});
  return stateful.Run();
}
