// churn-risk: churn probability, tier, drivers and revenue at risk per account, from
// retention.interactions.v1 and retention.health.v1, published to
// retention.churn-risk.v1 and served over gRPC. This file only wires the parts.
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
#include "services/churn-risk/engine.h"
#include "services/churn-risk/model.h"
#include "services/churn-risk/service.h"
#include "services/churn-risk/store.h"

ABSL_FLAG(std::string, model, "", "Path of the churn model file (retention.v1.ChurnModel, text format). Required");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, health_topic, "retention.health.v1", "Topic of health signals");
ABSL_FLAG(std::string, churn_topic, "retention.churn-risk.v1", "Topic churn-risk signals are published to");
ABSL_FLAG(std::string, group_id, "retention-churn-risk", "Kafka consumer group of the churn-risk replicas");
ABSL_FLAG(int, max_batch, 2000, "Most records processed in one batch");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");

int main(int argc, char** argv) {
  using namespace retention;
  config::ParseFlags(argc, argv,
                     "churn-risk: churn probability, tier and drivers per account.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  const std::atomic<bool>& stop_requested = config::StopOnSignals();
  auto common = config::ReadCommonFlags();
  if (!common.ok()) config::ExitOnConfigError("churn-risk", common.status());
  if (absl::GetFlag(FLAGS_model).empty()) {
    config::ExitOnConfigError("churn-risk", absl::InvalidArgumentError("--model is required"));
  }
  auto model = churn::LoadModel(absl::GetFlag(FLAGS_model));
  if (!model.ok()) config::ExitOnConfigError("churn-risk", model.status());
  if (absl::GetFlag(FLAGS_max_batch) < 1) {
    config::ExitOnConfigError("churn-risk", absl::InvalidArgumentError("--max_batch must be at least 1"));
  }

  auto registry = std::make_shared<prometheus::Registry>();
  churn::ChurnMetrics metrics(*registry);
  health_check::DependencyHealth dependencies(*registry, "retention_churn", {"kafka", "redis"});
  auto metrics_server = metrics::MetricsServer::Start(common->metrics_port, registry);
  if (!metrics_server.ok()) config::ExitOnStartupError("churn-risk", metrics_server.status());

  const redis::RedisOptions redis_options = config::RedisOptionsFor(*common);
  redis::RedisClient pipeline_redis(redis_options);
  redis::RedisClient grpc_redis(redis_options);
  if (auto s = pipeline_redis.ConnectWithin(common->startup_timeout); !s.ok()) {
    config::ExitOnStartupError("churn-risk", s);
  }

  const kafka::KafkaSettings kafka_settings = config::KafkaSettingsFor(*common, "churn-risk");
  kafka::ConsumerOptions consumer_options;
  consumer_options.kafka = kafka_settings;
  consumer_options.group_id = absl::GetFlag(FLAGS_group_id);
  consumer_options.topics = {absl::GetFlag(FLAGS_v1_topic), absl::GetFlag(FLAGS_health_topic)};
  consumer_options.group_instance_id = absl::StrCat("churn-risk-", common->instance_id);
  auto consumer = kafka::KafkaConsumer::Create(consumer_options, common->startup_timeout);
  if (!consumer.ok()) config::ExitOnStartupError("churn-risk", consumer.status());
  kafka::ProducerOptions producer_options;
  producer_options.kafka = kafka_settings;
  auto producer = kafka::KafkaProducer::Create(producer_options, common->startup_timeout);
  if (!producer.ok()) config::ExitOnStartupError("churn-risk", producer.status());

  // StreamRisk follows the churn-risk topic as it grows, whichever replica published.
  churn::RiskHub hub;
  auto feeder = pipeline::HubFeeder<v1::ChurnRiskSignal>::Start(
      kafka_settings, absl::GetFlag(FLAGS_churn_topic), "churn-stream",
      common->instance_id, common->startup_timeout, &hub);
  if (!feeder.ok()) config::ExitOnStartupError("churn-risk", feeder.status());

  churn::RedisChurnStore pipeline_store(&pipeline_redis);
  churn::RedisChurnStore grpc_store(&grpc_redis);
  churn::EngineSettings engine_settings;
  engine_settings.model = *model;
  engine_settings.v1_topic = absl::GetFlag(FLAGS_v1_topic);
  engine_settings.health_topic = absl::GetFlag(FLAGS_health_topic);
  engine_settings.churn_topic = absl::GetFlag(FLAGS_churn_topic);
  churn::ChurnEngine engine(engine_settings, &pipeline_store);
  churn::ChurnBatchProcessor processor(&engine, &pipeline_store, &metrics);
  pipeline::PipelineSettings pipeline_settings;
  pipeline_settings.max_batch = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch));
  pipeline_settings.poll_wait = absl::GetFlag(FLAGS_poll_wait);
  pipeline::StatefulPipeline pipeline(pipeline_settings, &processor, producer->get(), &dependencies,
                                      &metrics.consumer_lag, &metrics.batch_seconds);

  churn::ChurnGrpcService service(&*model, &grpc_store, &hub);
  auto server = grpc_server::GrpcServer::Start(common->grpc_port, {&service}, {"retention.v1.ChurnRiskService"});
  if (!server.ok()) config::ExitOnStartupError("churn-risk", server.status());
  (*server)->SetServing(true);
  dependencies.OnChange([&server](bool healthy) { (*server)->SetServing(healthy); });

  LOG_INFO("churn-risk ready")
      .Field("grpc_port", (*server)->port())
      .Field("metrics_port", (*metrics_server)->port())
      .Field("model_version", model->version())
      .Field("instance", common->instance_id);
  pipeline.Run(**consumer, stop_requested);

  LOG_INFO("churn-risk stopping");
  hub.Close();
  (*server)->SetServing(false);
  (*server)->Shutdown(absl::Seconds(5));
  feeder->reset();  // stops reading the topic
  (*consumer)->Close();
  LOG_INFO("churn-risk stopped");
  return 0;
}
