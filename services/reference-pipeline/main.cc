// reference-pipeline: advocacy profiles, reference eligibility and ranking, request
// life cycle and advocacy triggers, from retention.interactions.v1,
// retention.health.v1 and retention.churn-risk.v1, published to retention.advocacy.v1
// and served over gRPC. This file only wires the parts.
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
#include "libs/pipeline/stateful_pipeline.h"
#include "libs/redis/redis_client.h"
#include "services/reference-pipeline/engine.h"
#include "services/reference-pipeline/policy.h"
#include "services/reference-pipeline/service.h"
#include "services/reference-pipeline/store.h"

ABSL_FLAG(std::string, policy, "", "Path of the reference policy (retention.v1.ReferencePolicy, text format). Required");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, health_topic, "retention.health.v1", "Topic of health signals");
ABSL_FLAG(std::string, churn_topic, "retention.churn-risk.v1", "Topic of churn-risk signals");
ABSL_FLAG(std::string, advocacy_topic, "retention.advocacy.v1", "Topic advocacy signals are published to");
ABSL_FLAG(std::string, group_id, "retention-reference-pipeline", "Kafka consumer group of the replicas");
ABSL_FLAG(int, max_batch, 2000, "Most records processed in one batch");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");

int main(int argc, char** argv) {
  using namespace retention;
  const char* program = "reference-pipeline";
  config::ParseFlags(argc, argv,
                     "reference-pipeline: advocates, reference eligibility and requests.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  const std::atomic<bool>& stop_requested = config::StopOnSignals();
  auto common = config::ReadCommonFlags();
  if (!common.ok()) config::ExitOnConfigError(program, common.status());
  if (absl::GetFlag(FLAGS_policy).empty()) {
    config::ExitOnConfigError(program, absl::InvalidArgumentError("--policy is required"));
  }
  auto policy = reference::LoadPolicy(absl::GetFlag(FLAGS_policy));
  if (!policy.ok()) config::ExitOnConfigError(program, policy.status());
  if (absl::GetFlag(FLAGS_max_batch) < 1) {
    config::ExitOnConfigError(program, absl::InvalidArgumentError("--max_batch must be at least 1"));
  }

  auto registry = std::make_shared<prometheus::Registry>();
  reference::ReferenceMetrics metrics(*registry);
  health_check::DependencyHealth dependencies(*registry, "retention_reference", {"kafka", "redis"});
  auto metrics_server = metrics::MetricsServer::Start(common->metrics_port, registry);
  if (!metrics_server.ok()) config::ExitOnStartupError(program, metrics_server.status());

  const redis::RedisOptions redis_options = config::RedisOptionsFor(*common);
  redis::RedisClient pipeline_redis(redis_options);
  if (auto s = pipeline_redis.ConnectWithin(common->startup_timeout); !s.ok()) config::ExitOnStartupError(program, s);

  const kafka::KafkaSettings kafka_settings = config::KafkaSettingsFor(*common, program);
  kafka::ConsumerOptions consumer_options;
  consumer_options.kafka = kafka_settings;
  consumer_options.group_id = absl::GetFlag(FLAGS_group_id);
  consumer_options.topics = {absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_health_topic),
                             absl::GetFlag(FLAGS_churn_topic)};
  consumer_options.group_instance_id = absl::StrCat("reference-pipeline-", common->instance_id);
  auto consumer = kafka::KafkaConsumer::Create(consumer_options, common->startup_timeout);
  if (!consumer.ok()) config::ExitOnStartupError(program, consumer.status());
  kafka::ProducerOptions producer_options;
  producer_options.kafka = kafka_settings;
  auto producer = kafka::KafkaProducer::Create(producer_options, common->startup_timeout);
  if (!producer.ok()) config::ExitOnStartupError(program, producer.status());

  // WatchAdvocacy follows the advocacy topic as it grows, whichever replica published.
  reference::AdvocacyHub hub;
  auto feeder = pipeline::HubFeeder<v1::AdvocacySignal>::Start(
      kafka_settings, absl::GetFlag(FLAGS_advocacy_topic), "advocacy-stream",
      common->instance_id, common->startup_timeout, &hub);
  if (!feeder.ok()) config::ExitOnStartupError(program, feeder.status());

  reference::RedisReferenceStore pipeline_store(&pipeline_redis);
  // gRPC calls run on their own connections, side by side.
  reference::StorePool grpc_stores(redis_options, 4);
  reference::EngineSettings engine_settings;
  engine_settings.policy = *policy;
  engine_settings.v1_topic = absl::GetFlag(FLAGS_v1_topic);
  engine_settings.health_topic = absl::GetFlag(FLAGS_health_topic);
  engine_settings.churn_topic = absl::GetFlag(FLAGS_churn_topic);
  engine_settings.advocacy_topic = absl::GetFlag(FLAGS_advocacy_topic);
  reference::ReferenceEngine engine(engine_settings, &pipeline_store);
  reference::ReferenceBatchProcessor processor(&engine, &pipeline_store, &metrics);
  pipeline::PipelineSettings pipeline_settings;
  pipeline_settings.max_batch = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch));
  pipeline_settings.poll_wait = absl::GetFlag(FLAGS_poll_wait);
  pipeline::StatefulPipeline pipeline(pipeline_settings, &processor, producer->get(), &dependencies,
                                      &metrics.consumer_lag, &metrics.batch_seconds);

  reference::ServiceSettings service_settings;
  service_settings.policy = *policy;
  service_settings.advocacy_topic = absl::GetFlag(FLAGS_advocacy_topic);
  reference::ReferenceGrpcService service(service_settings, &grpc_stores, producer->get(), &hub, &metrics);
  auto server =
      grpc_server::GrpcServer::Start(common->grpc_port, {&service}, {"retention.v1.ReferencePipelineService"});
  if (!server.ok()) config::ExitOnStartupError(program, server.status());
  (*server)->SetServing(true);
  dependencies.OnChange([&server](bool healthy) { (*server)->SetServing(healthy); });

  LOG_INFO("reference-pipeline ready")
      .Field("grpc_port", (*server)->port())
      .Field("metrics_port", (*metrics_server)->port())
      .Field("policy_version", policy->version())
      .Field("instance", common->instance_id);
  pipeline.Run(**consumer, stop_requested);

  LOG_INFO("reference-pipeline stopping");
  hub.Close();
  (*server)->SetServing(false);
  (*server)->Shutdown(absl::Seconds(5));
  feeder->reset();  // stops reading the topic
  (*consumer)->Close();
  LOG_INFO("reference-pipeline stopped");
  return 0;
}
