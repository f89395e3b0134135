// health-score: real-time, explainable account health from retention.interactions.v1,
// published to retention.health.v1 and served over gRPC. This file only wires the parts.
#include <atomic>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/config/common_flags.h"
#include "libs/config/flags.h"
#include "libs/config/shutdown.h"
#include "libs/grpc/grpc_server.h"
#include "libs/health/dependency_health.h"
#include "libs/log/log.h"
#include "libs/metrics/metrics_server.h"
#include "libs/pipeline/hub_feeder.h"
#include "libs/redis/redis_client.h"
#include "services/health-score/engine.h"
#include "services/health-score/grpc_service.h"
#include "services/health-score/metrics.h"
#include "services/health-score/pipeline.h"
#include "services/health-score/scorecard.h"
#include "services/health-score/signal_hub.h"
#include "services/health-score/store.h"

ABSL_FLAG(std::string, scorecard, "", "Path of the scorecard file (retention.v1.ScorecardSet, text format). Required");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, health_topic, "retention.health.v1", "Topic health signals are published to");
ABSL_FLAG(std::string, group_id, "retention-health-score", "Kafka consumer group of the health-score replicas");
ABSL_FLAG(int, max_batch, 2000, "Most events processed in one batch (one Redis round trip each way)");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");

int main(int argc, char** argv) {
  using namespace retention;
  config::ParseFlags(argc, argv,
                     "health-score: explainable account health from retention.interactions.v1.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  const std::atomic<bool>& stop_requested = config::StopOnSignals();
  auto common = config::ReadCommonFlags();
  if (!common.ok()) config::ExitOnConfigError("health-score", common.status());
  if (absl::GetFlag(FLAGS_scorecard).empty()) {
    config::ExitOnConfigError("health-score", absl::InvalidArgumentError("--scorecard is required"));
  }
  auto scorecards = health::LoadScorecardSet(absl::GetFlag(FLAGS_scorecard));
  if (!scorecards.ok()) config::ExitOnConfigError("health-score", scorecards.status());
  if (absl::GetFlag(FLAGS_max_batch) < 1) {
    config::ExitOnConfigError("health-score", absl::InvalidArgumentError("--max_batch must be at least 1"));
  }

  auto registry = std::make_shared<prometheus::Registry>();
  health::HealthMetrics metrics(*registry);
  health_check::DependencyHealth dependencies(*registry, "retention_health", {"kafka", "redis"});
  auto metrics_server = metrics::MetricsServer::Start(common->metrics_port, registry);
  if (!metrics_server.ok()) config::ExitOnStartupError("health-score", metrics_server.status());

  const redis::RedisOptions redis_options = config::RedisOptionsFor(*common);
  redis::RedisClient pipeline_redis(redis_options);
  redis::RedisClient grpc_redis(redis_options);
  if (auto s = pipeline_redis.ConnectWithin(common->startup_timeout); !s.ok()) {
    config::ExitOnStartupError("health-score", s);
  }

  const kafka::KafkaSettings kafka_settings = config::KafkaSettingsFor(*common, "health-score");
  kafka::ConsumerOptions consumer_options;
  consumer_options.kafka = kafka_settings;
  consumer_options.group_id = absl::GetFlag(FLAGS_group_id);
  consumer_options.topics = {absl::GetFlag(FLAGS_v1_topic)};
  consumer_options.group_instance_id = absl::StrCat("health-score-", common->instance_id);
  auto consumer = kafka::KafkaConsumer::Create(consumer_options, common->startup_timeout);
  if (!consumer.ok()) config::ExitOnStartupError("health-score", consumer.status());
  kafka::ProducerOptions producer_options;
  producer_options.kafka = kafka_settings;
  auto producer = kafka::KafkaProducer::Create(producer_options, common->startup_timeout);
  if (!producer.ok()) config::ExitOnStartupError("health-score", producer.status());

  // WatchHealth streams the health topic as it grows, whichever replica published.
  health::SignalHub hub;
  auto feeder = pipeline::HubFeeder<v1::HealthSignal>::Start(
      kafka_settings, absl::GetFlag(FLAGS_health_topic), "health-watch",
      common->instance_id, common->startup_timeout, &hub);
  if (!feeder.ok()) config::ExitOnStartupError("health-score", feeder.status());

  health::RedisHealthStore pipeline_store(&pipeline_redis);
  health::RedisHealthStore grpc_store(&grpc_redis);
  health::HealthEngine engine({*scorecards, absl::GetFlag(FLAGS_health_topic)}, &pipeline_store);
  pipeline::PipelineSettings pipeline_settings;
  pipeline_settings.max_batch = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch));
  pipeline_settings.poll_wait = absl::GetFlag(FLAGS_poll_wait);
  health::HealthBatchProcessor processor(&engine, &pipeline_store, &metrics);
  pipeline::StatefulPipeline pipeline(pipeline_settings, &processor, producer->get(), &dependencies,
                                      &metrics.consumer_lag, &metrics.batch_seconds);

  health::HealthGrpcService service(&*scorecards, &grpc_store, &hub);
  auto server = grpc_server::GrpcServer::Start(common->grpc_port, {&service}, {"retention.v1.HealthService"});
  if (!server.ok()) config::ExitOnStartupError("health-score", server.status());
  (*server)->SetServing(true);
  dependencies.OnChange([&server](bool healthy) { (*server)->SetServing(healthy); });

  LOG_INFO("health-score ready")
      .Field("grpc_port", (*server)->port())
      .Field("metrics_port", (*metrics_server)->port())
      .Field("scorecard_version", scorecards->version())
      .Field("instance", common->instance_id);
  pipeline.Run(**consumer, stop_requested);

  LOG_INFO("health-score stopping");
  hub.Close();
  (*server)->SetServing(false);
  (*server)->Shutdown(absl::Seconds(5));
  feeder->reset();  // stops reading the topic
  (*consumer)->Close();
  LOG_INFO("health-score stopped");
  return 0;
}
