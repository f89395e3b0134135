// ingest: validates, de-duplicates and canonicalises customer interaction events from
// retention.interactions.raw (and over gRPC) onto retention.interactions.v1, with every
// refused record on retention.interactions.dlq. This file only wires the parts.
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
#include "libs/redis/redis_client.h"
#include "services/ingest/dedupe.h"
#include "services/ingest/grpc_service.h"
#include "services/ingest/ingestor.h"
#include "services/ingest/metrics.h"
#include "services/ingest/pipeline.h"

ABSL_FLAG(std::string, raw_topic, "retention.interactions.raw", "Topic of raw events from upstream producers");
ABSL_FLAG(std::string, v1_topic, "retention.interactions.v1", "Topic of canonical events");
ABSL_FLAG(std::string, dlq_topic, "retention.interactions.dlq", "Dead-letter topic for refused records");
ABSL_FLAG(std::string, group_id, "retention-ingest", "Kafka consumer group of the ingest replicas");
ABSL_FLAG(int64_t, max_event_bytes, 64 * 1024, "Largest record accepted, in bytes (1 to 10485760)");
ABSL_FLAG(absl::Duration, max_future_skew, absl::Minutes(5), "How far occurred_at may be ahead of this clock");
ABSL_FLAG(absl::Duration, dedupe_window, absl::Hours(24 * 7), "How long an event id is remembered for de-duplication");
ABSL_FLAG(int, max_batch, 5000, "Most records processed in one batch (one Redis round trip, one transaction)");
ABSL_FLAG(absl::Duration, poll_wait, absl::Milliseconds(100), "How long a poll waits for a first record");

namespace {

absl::StatusOr<retention::ingest::IngestSettings> ReadIngestFlags() {
  retention::ingest::IngestSettings s;
  s.raw_topic = absl::GetFlag(FLAGS_raw_topic);
  s.v1_topic = absl::GetFlag(FLAGS_v1_topic);
  s.dlq_topic = absl::GetFlag(FLAGS_dlq_topic);
  for (const auto& [flag, value] : {std::pair<const char*, std::string>{"raw_topic", s.raw_topic},
                                    {"v1_topic", s.v1_topic},
                                    {"dlq_topic", s.dlq_topic}}) {
    if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, " is empty"));
  }
  const int64_t max_bytes = absl::GetFlag(FLAGS_max_event_bytes);
  if (max_bytes < 1 || max_bytes > 10 * 1024 * 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--max_event_bytes=", max_bytes, ": expected 1 to 10485760"));
  }
  s.max_event_bytes = static_cast<size_t>(max_bytes);
  s.max_future_skew = absl::GetFlag(FLAGS_max_future_skew);
  if (s.max_future_skew < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max_future_skew must not be negative");
  }
  s.dedupe_window = absl::GetFlag(FLAGS_dedupe_window);
  if (s.dedupe_window < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--dedupe_window must be at least 1s");
  }
  if (absl::GetFlag(FLAGS_max_batch) < 1) return absl::InvalidArgumentError("--max_batch must be at least 1");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace retention;
  config::ParseFlags(argc, argv,
                     "ingest: validates and de-duplicates interaction events onto retention.interactions.v1.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  const std::atomic<bool>& stop_requested = config::StopOnSignals();
  auto common = config::ReadCommonFlags();
  if (!common.ok()) config::ExitOnConfigError("ingest", common.status());
  auto settings = ReadIngestFlags();
  if (!settings.ok()) config::ExitOnConfigError("ingest", settings.status());

  auto registry = std::make_shared<prometheus::Registry>();
  ingest::IngestMetrics metrics(*registry);
  health_check::DependencyHealth dependencies(*registry, "retention_ingest", {"kafka", "redis"});
  auto metrics_server = metrics::MetricsServer::Start(common->metrics_port, registry);
  if (!metrics_server.ok()) config::ExitOnStartupError("ingest", metrics_server.status());

  const redis::RedisOptions redis_options = config::RedisOptionsFor(*common);
  redis::RedisClient pipeline_redis(redis_options);
  redis::RedisClient grpc_redis(redis_options);
  if (auto s = pipeline_redis.ConnectWithin(common->startup_timeout); !s.ok()) {
    config::ExitOnStartupError("ingest", s);
  }

  const kafka::KafkaSettings kafka_settings = config::KafkaSettingsFor(*common, "ingest");

  kafka::ConsumerOptions consumer_options;
  consumer_options.kafka = kafka_settings;
  consumer_options.group_id = absl::GetFlag(FLAGS_group_id);
  consumer_options.topics = {settings->raw_topic};
  consumer_options.group_instance_id = absl::StrCat("ingest-", common->instance_id);

  ingest::RedisDedupeStore pipeline_dedupe(&pipeline_redis, settings->dedupe_window);
  ingest::Ingestor pipeline_ingestor(*settings, &pipeline_dedupe);
  kafka::ProducerOptions txn_options;
  txn_options.kafka = kafka_settings;
  txn_options.transactional_id = absl::StrCat("retention-ingest-", common->instance_id);

  std::unique_ptr<grpc_server::GrpcServer> server;
  ingest::PipelineSettings pipeline_settings;
  pipeline_settings.max_batch = static_cast<size_t>(absl::GetFlag(FLAGS_max_batch));
  pipeline_settings.poll_wait = absl::GetFlag(FLAGS_poll_wait);
  ingest::IngestPipeline pipeline(
      pipeline_settings, &pipeline_ingestor,
      [&] { return kafka::KafkaProducer::Create(txn_options, common->startup_timeout); }, &metrics,
      &dependencies);
  if (auto s = pipeline.Init(); !s.ok()) config::ExitOnStartupError("ingest", s);
  // Batches of revoked partitions commit before the partitions move to another replica.
  consumer_options.on_revoked = [&pipeline](const std::vector<kafka::TopicPartitionOffset>&) {
    pipeline.WaitIdle();
  };
  auto consumer = kafka::KafkaConsumer::Create(consumer_options, common->startup_timeout);
  if (!consumer.ok()) config::ExitOnStartupError("ingest", consumer.status());

  kafka::ProducerOptions submit_options;
  submit_options.kafka = kafka_settings;
  auto submit_producer = kafka::KafkaProducer::Create(submit_options, common->startup_timeout);
  if (!submit_producer.ok()) config::ExitOnStartupError("ingest", submit_producer.status());
  ingest::RedisDedupeStore grpc_dedupe(&grpc_redis, settings->dedupe_window);
  ingest::Ingestor grpc_ingestor(*settings, &grpc_dedupe);
  ingest::IngestGrpcService service(&grpc_ingestor, submit_producer->get(), &metrics, &dependencies,
                                    absl::Seconds(30));
  auto started = grpc_server::GrpcServer::Start(common->grpc_port, {&service}, {"retention.v1.IngestService"});
  if (!started.ok()) config::ExitOnStartupError("ingest", started.status());
  server = std::move(*started);
  server->SetServing(true);
  dependencies.OnChange([&server](bool healthy) { server->SetServing(healthy); });

  LOG_INFO("ingest ready")
      .Field("grpc_port", server->port())
      .Field("metrics_port", (*metrics_server)->port())
      .Field("raw_topic", settings->raw_topic)
      .Field("instance", common->instance_id);
  pipeline.Run(**consumer, stop_requested);

  LOG_INFO("ingest stopping");
  server->SetServing(false);
  server->Shutdown(absl::Seconds(5));
  (*consumer)->Close();
  LOG_INFO("ingest stopped");
  return 0;
}
