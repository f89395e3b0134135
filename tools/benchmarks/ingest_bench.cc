// Benchmark: ingest's throughput against a bare librdkafka consume-and-produce
// passthrough of the same records, on the same broker, in the same run.
//
// It writes --events raw records (protobuf; a share of repeats and malformed ones) to a
// fresh topic, then (1) copies them to another topic with a plain librdkafka consumer and
// producer, and (2) runs the ingest binary over them. Each is timed from its first
// record read to its last record out; it prints events/s for both and their ratio.
#include <librdkafka/rdkafkacpp.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/kafka_producer.h"
#include "tests/support/kafka_io.h"
#include "retention/v1/interaction_event.pb.h"
#include "tests/support/env.h"
#include "tests/support/process.h"

ABSL_FLAG(std::string, kafka_brokers, "", "Kafka bootstrap servers");
ABSL_FLAG(std::string, redis_addr, "", "Redis host:port for ingest");
ABSL_FLAG(std::string, ingest_binary, "bazel-bin/services/ingest/ingest", "The ingest binary");
ABSL_FLAG(int, events, 200000, "Raw records to push through");
ABSL_FLAG(int, partitions, 3, "Partitions of each topic");
ABSL_FLAG(int, kafka_pid, 0, "The broker's pid, to report its CPU time (0: not reported)");
ABSL_FLAG(int, redis_pid, 0, "Redis' pid, to report its CPU time (0: not reported)");
ABSL_FLAG(std::vector<std::string>, ingest_flags, {}, "Extra flags for ingest, comma separated");

namespace {

using retention::kafka::OutgoingRecord;

// User + system CPU seconds a process has used so far (0 if unknown).
double CpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(line.substr(close + 2), ' ');
  if (fields.size() < 13) return 0;
  return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::vector<OutgoingRecord> MakeRecords(int n, const std::string& run) {
  std::mt19937 rng(42);
  std::vector<OutgoingRecord> records;
  records.reserve(n);
  for (int i = 0; i < n; ++i) {
    retention::v1::InteractionEvent e;
    // 5% repeats of a recent event, 2% malformed (NPS 11).
    const bool repeat = i > 100 && rng() % 100 < 5;
    e.set_event_id(absl::StrCat(run, "-", repeat ? i - 1 - static_cast<int>(rng() % 100) : i));
    e.set_account_id(absl::StrCat("acct-", rng() % 5000));
    e.set_source("bench");
    e.mutable_occurred_at()->set_seconds(1'790'000'000 + i);
    if (rng() % 100 < 2) {
      e.mutable_survey_response()->set_nps(11);
    } else {
      auto* usage = e.mutable_product_usage();
      usage->set_active_users(static_cast<int>(rng() % 50));
      usage->set_licensed_seats(50);
      usage->add_features_used("reports");
      usage->add_features_used("api");
    }
    records.push_back({"", e.account_id(), e.SerializeAsString(), {{"content-type", "application/x-protobuf"}}});
  }
  return records;
}

// Consumes `n` records from `in` and produces each to `out` unchanged; seconds from the
// first record read to the last delivery.
double Passthrough(const std::string& brokers, const std::string& in, const std::string& out, int n) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> cconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  cconf->set("bootstrap.servers", brokers, error);
  cconf->set("group.id", retention::testing::UniqueName("bench-passthrough"), error);
  cconf->set("auto.offset.reset", "earliest", error);
  cconf->set("enable.auto.commit", "false", error);
  cconf->set("isolation.level", "read_committed", error);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(cconf.get(), error));
  std::unique_ptr<RdKafka::Conf> pconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  pconf->set("bootstrap.servers", brokers, error);
  pconf->set("enable.idempotence", "true", error);
  pconf->set("linger.ms", "5", error);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf.get(), error));
  consumer->subscribe({in});
  int seen = 0;
  absl::Time first = absl::InfinitePast();
  while (seen < n) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(1000));
    if (msg->err() != RdKafka::ERR_NO_ERROR) continue;
    if (seen++ == 0) first = absl::Now();
    RdKafka::Headers* headers = msg->headers() ? RdKafka::Headers::create(msg->headers()->get_all()) : nullptr;
    while (producer->produce(out, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, msg->payload(),
                             msg->len(), msg->key_pointer(), msg->key_len(), 0, headers,
                             nullptr) == RdKafka::ERR__QUEUE_FULL) {
      producer->poll(10);
    }
    producer->poll(0);
  }
  producer->flush(60000);
  consumer->commitSync();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - first);
  consumer->close();
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string brokers = absl::GetFlag(FLAGS_kafka_brokers);
  const int n = absl::GetFlag(FLAGS_events);
  const int partitions = absl::GetFlag(FLAGS_partitions);
  const std::string run = retention::testing::UniqueName("bench");
  const std::string raw = run + "-raw", copy = run + "-copy", v1 = run + "-v1", dlq = run + "-dlq";
  retention::testing::CreateTopics({raw, copy, v1, dlq}, partitions, brokers);
  retention::kafka::ProducerOptions options;
  options.kafka = retention::testing::KafkaFor(brokers);
  auto producer = retention::kafka::KafkaProducer::Create(options, absl::Seconds(30));
  if (!producer.ok()) return 1;
  auto records = MakeRecords(n, run);
  for (auto& r : records) r.topic = raw;
  const absl::Time load_start = absl::Now();
  if (auto s = (*producer)->ProduceAndWait(records, absl::Minutes(5)); !s.ok()) {
    std::fprintf(stderr, "loading: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("loaded %d raw records (%.1f MB) in %.1f s\n", n,
              static_cast<double>(records.size() * records[0].value.size()) / 1e6,
              absl::ToDoubleSeconds(absl::Now() - load_start));

  const int kafka_pid = absl::GetFlag(FLAGS_kafka_pid);
  const int redis_pid = absl::GetFlag(FLAGS_redis_pid);
  const double kafka_cpu0 = CpuSeconds(kafka_pid);
  const double passthrough_s = Passthrough(brokers, raw, copy, n);
  const double kafka_cpu1 = CpuSeconds(kafka_pid);
  const double redis_cpu1 = CpuSeconds(redis_pid);
  const double passthrough_rate = n / passthrough_s;
  std::printf("passthrough (bare librdkafka consume+produce): %d records in %.2f s = %.0f events/s\n", n,
              passthrough_s, passthrough_rate);

  const int metrics_port = retention::testing::FreePort();
  std::vector<std::string> ingest_args = {"--kafka_brokers=" + brokers, "--redis_addr=" + absl::GetFlag(FLAGS_redis_addr), "--raw_topic=" + raw,
       "--v1_topic=" + v1, "--dlq_topic=" + dlq, "--group_id=" + run + "-ingest", "--instance_id=" + run,
       absl::StrCat("--grpc_port=", retention::testing::FreePort()), absl::StrCat("--metrics_port=", metrics_port),
       "--log_level=warn"};
  for (const std::string& f : absl::GetFlag(FLAGS_ingest_flags)) ingest_args.push_back(f);
  retention::testing::Process ingest(absl::GetFlag(FLAGS_ingest_binary), ingest_args, "/tmp/" + run + "-ingest.log");
  const auto in_total = [&] {
    return retention::testing::MetricValue(retention::testing::HttpGet(metrics_port, "/metrics"),
                                           "retention_ingest_events_in_total", "path=\"kafka\"");
  };
  absl::Time first = absl::InfinitePast();
  if (!retention::testing::WaitFor([&] { return in_total() > 0; }, absl::Seconds(120), absl::Milliseconds(5))) {
    std::fprintf(stderr, "ingest did not start:\n%s\n", ingest.Log().c_str());
    return 1;
  }
  first = absl::Now();
  if (!retention::testing::WaitFor([&] { return in_total() >= n; }, absl::Minutes(10), absl::Milliseconds(20))) {
    std::fprintf(stderr, "ingest did not finish:\n%s\n", ingest.Log().c_str());
    return 1;
  }
  const double ingest_s = absl::ToDoubleSeconds(absl::Now() - first);
  const std::string metrics = retention::testing::HttpGet(metrics_port, "/metrics");
  const double out = retention::testing::MetricValue(metrics, "retention_ingest_events_out_total");
  const double dup = retention::testing::MetricValue(metrics, "retention_ingest_duplicates_total");
  const double rejected = retention::testing::MetricValue(metrics, "retention_ingest_rejected_total");
  const double batches = retention::testing::MetricValue(metrics, "retention_ingest_batch_seconds_count");
  const double process_s = retention::testing::MetricValue(metrics, "retention_ingest_phase_seconds_sum", "phase=\"process\"");
  const double publish_s = retention::testing::MetricValue(metrics, "retention_ingest_phase_seconds_sum", "phase=\"publish\"");
  const double ingest_cpu = CpuSeconds(ingest.pid());
  const double kafka_cpu2 = CpuSeconds(kafka_pid);
  const double redis_cpu2 = CpuSeconds(redis_pid);
  ingest.Terminate();
  const double ingest_rate = n / ingest_s;
  std::printf("ingest (validate, dedupe in Redis, transactional publish): %d records in %.2f s = %.0f events/s\n",
              n, ingest_s, ingest_rate);
  std::printf("  out %.0f, duplicates %.0f, dead-lettered %.0f, %.0f batches (%.0f records/batch)\n", out, dup,
              rejected, batches, batches > 0 ? n / batches : 0.0);
  std::printf("  time in batches: process (decode, validate, Redis) %.2f s, publish (transaction) %.2f s\n",
              process_s, publish_s);
  if (kafka_pid > 0) {
    std::printf("  CPU seconds: broker %.2f during passthrough, %.2f during ingest; ingest process %.2f "
                "(incl. start-up); redis %.2f\n",
                kafka_cpu1 - kafka_cpu0, kafka_cpu2 - kafka_cpu1, ingest_cpu, redis_cpu2 - redis_cpu1);
  }
  std::printf("ratio ingest/passthrough: %.2f (target >= 0.5)\n", ingest_rate / passthrough_rate);
  return 0;
}
