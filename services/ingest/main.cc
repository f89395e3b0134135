// ingest: validates, de-duplicates and canonicalises customer interaction events from
// retention.interactions.raw (and over gRPC) onto retention.interactions.v1, with every
// refused record on retention.interactions.dlq. This file only wires the parts.
#include "absl/flags/flag.h"
#include "libs/kafka/kafka_consumer.h"
#include "libs/kafka/kafka_producer.h"
#include "libs/service/service.h"
#include "services/ingest/redis_dedupe.h"
#include "services/ingest/flags.h"
#include "services/ingest/grpc_service.h"
#include "services/ingest/pipeline.h"
#include "services/ingest/rebuild.h"

int main(int argc, char** argv) {
  using namespace retention;
  config::ParseFlags(argc, argv,
                     "ingest: validates and de-duplicates interaction events onto retention.interactions.v1.\n"
                     "Every flag --x can also be set by the environment variable RETENTION_X.");
  auto common = config::ReadCommonFlags("ingest");
  if (!common.ok()) config::ExitOnConfigError("ingest", common.status());
  auto flags = ingest::ReadIngestFlags();
  if (!flags.ok()) config::ExitOnConfigError("ingest", flags.status());
  const ingest::IngestSettings& settings = flags->settings;

  service::Service base("ingest", "retention_ingest", *common, {"kafka", "redis", "state"});
  ingest::IngestMetrics metrics(base.registry());
  redis::RedisClient pipeline_redis(common->redis), grpc_redis(common->redis);
  if (auto s = pipeline_redis.ConnectWithin(common->startup_timeout); !s.ok()) base.Fail(s);
  ingest::RedisDedupeStore pipeline_dedupe(&pipeline_redis, flags->state_prefix, settings.dedupe_window,
                                           settings.submit_claim_ttl);
  ingest::RedisDedupeStore grpc_dedupe(&grpc_redis, flags->state_prefix, settings.dedupe_window,
                                       settings.submit_claim_ttl);
  ingest::Ingestor pipeline_ingestor(settings, &pipeline_dedupe), grpc_ingestor(settings, &grpc_dedupe);

  kafka::ProducerOptions txn_options;
  txn_options.kafka = common->kafka;
  txn_options.transactional_id = absl::StrCat("retention-ingest-", common->instance_id);
  kafka::ProducerOptions submit_options;
  submit_options.kafka = common->kafka;
  ingest::IngestPipeline pipeline(
      flags->pipeline, &pipeline_ingestor, &pipeline_dedupe,
      [&]() -> absl::StatusOr<std::unique_ptr<kafka::Producer>> {
        return kafka::KafkaProducer::Create(txn_options, common->startup_timeout);
      },
      [&] { return ingest::RebuildDedupe(common->kafka, settings, &pipeline_dedupe); }, &metrics,
      &base.dependencies(), &base.liveness());
  if (auto s = pipeline.Init(); !s.ok()) base.Fail(s);
  kafka::ConsumerOptions consumer_options;
  consumer_options.kafka = common->kafka;
  consumer_options.group_id = flags->group_id;
  consumer_options.topics = {settings.raw_topic};
  consumer_options.group_instance_id = absl::StrCat("ingest-", common->instance_id);
  // Batches of revoked partitions commit before the partitions move to another replica.
  consumer_options.on_revoked = [&pipeline](const std::vector<kafka::TopicPartition>&, bool) { pipeline.WaitIdle(); };
  auto consumer = base.OrFail(kafka::KafkaConsumer::Create(consumer_options, common->startup_timeout));
  if (auto s = ingest::CheckDedupeMemory(*consumer, settings.raw_topic, common->kafka, &pipeline_dedupe,
                                         common->startup_timeout);
      !s.ok()) {
    base.dependencies().Report("state", s);
  }

  auto submit_producer = base.OrFail(kafka::KafkaProducer::Create(submit_options, common->startup_timeout));
  ingest::IngestGrpcService grpc(&grpc_ingestor, submit_producer.get(), &metrics, &base.dependencies(), absl::Seconds(30));
  base.Serve({&grpc}, {"retention.v1.IngestService"});
  base.Ready({{"raw_topic", settings.raw_topic}});
  pipeline.Run(*consumer, base.stop_requested());
  base.Shutdown();
  consumer->Close();
  return 0;
}
