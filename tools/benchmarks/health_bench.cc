// Benchmark of health-score: (1) events/s over a backlog, (2) the latency a subscriber
// sees from sending an event to receiving the signal it caused (p50/p99), at a steady
// rate, and (3) the state it keeps in Redis per account.
#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/config/flags.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/redis/redis_client.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "tests/support/env.h"
#include "tests/support/process.h"
#include "tools/benchmarks/bench_util.h"

ABSL_FLAG(std::string, kafka_brokers, "", "Kafka bootstrap servers");
ABSL_FLAG(std::string, redis_addr, "", "Redis host:port");
ABSL_FLAG(std::string, binary, "bazel-bin/services/health-score/health-score", "The health-score binary");
ABSL_FLAG(std::string, scorecard, "services/health-score/scorecards/default.textproto", "Scorecard file");
ABSL_FLAG(int, accounts, 2000, "Accounts in the backlog");
ABSL_FLAG(int, events_per_account, 100, "Backlog events per account");
ABSL_FLAG(int, rate, 1000, "Events/s in the latency phase");
ABSL_FLAG(absl::Duration, latency_phase, absl::Seconds(10), "Length of the latency phase");

namespace {

using retention::kafka::OutgoingRecord;
namespace v1 = retention::v1;

OutgoingRecord Record(const v1::InteractionEvent& e) {
  return {"", e.account_id(), e.SerializeAsString(), {{"content-type", "application/x-protobuf"}}};
}

v1::InteractionEvent Event(const std::string& id, const std::string& account, int64_t day, std::mt19937& rng) {
  v1::InteractionEvent e;
  e.set_event_id(id);
  e.set_account_id(account);
  e.mutable_occurred_at()->set_seconds(1'780'000'000 + day * 86400);
  e.mutable_received_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  switch (rng() % 10) {
    case 0: e.mutable_survey_response()->set_nps(static_cast<int>(rng() % 11)); break;
    case 1: e.mutable_support_ticket()->set_status(rng() % 3 == 0 ? v1::SupportTicket::ESCALATED : v1::SupportTicket::OPENED); break;
    case 2: e.mutable_engagement()->set_kind(v1::Engagement::TRAINING); break;
    default: {
      auto* u = e.mutable_product_usage();
      u->set_active_users(static_cast<int>(rng() % 50));
      u->set_licensed_seats(50);
      u->add_features_used(rng() % 2 ? "reports" : "api");
    }
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string brokers = absl::GetFlag(FLAGS_kafka_brokers);
  const std::string run = retention::testing::UniqueName("hbench");
  const std::string v1_topic = run + "-v1", health_topic = run + "-health", overrides_topic = run + "-overrides",
                    quarantine_topic = run + "-quarantine";
  retention::testing::CreateTopics({v1_topic, health_topic, overrides_topic, quarantine_topic}, 3, brokers);
  retention::kafka::ProducerOptions options;
  options.kafka = retention::testing::KafkaFor(brokers);
  auto producer = retention::kafka::KafkaProducer::Create(options, absl::Seconds(30));
  if (!producer.ok()) return 1;

  // (1) Backlog.
  std::mt19937 rng(11);
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const int per_account = absl::GetFlag(FLAGS_events_per_account);
  std::vector<OutgoingRecord> backlog;
  for (int day = 0; day < per_account; ++day) {
    for (int a = 0; a < accounts; ++a) {
      backlog.push_back(Record(Event(absl::StrCat(run, "-", a, "-", day), absl::StrCat(run, "-acct-", a), day, rng)));
      backlog.back().topic = v1_topic;
    }
  }
  if (!(*producer)->ProduceAndWait(backlog, absl::Minutes(5)).ok()) return 1;
  const int total = static_cast<int>(backlog.size());
  std::printf("loaded %d events for %d accounts\n", total, accounts);

  const int metrics_port = retention::testing::FreePort();
  retention::testing::Process service(
      absl::GetFlag(FLAGS_binary),
      {"--kafka_brokers=" + brokers, "--redis_addr=" + absl::GetFlag(FLAGS_redis_addr), "--v1_topic=" + v1_topic,
       "--health_topic=" + health_topic, "--overrides_topic=" + overrides_topic,
       "--quarantine_topic=" + quarantine_topic, "--group_id=" + run, "--instance_id=" + run, "--state_prefix=" + run,
       "--scorecard=" + absl::GetFlag(FLAGS_scorecard), absl::StrCat("--grpc_port=", retention::testing::FreePort()),
       absl::StrCat("--metrics_port=", metrics_port), "--log_level=warn"},
      "/tmp/" + run + ".log");
  const auto metric = [&](const char* name) {
    return retention::testing::MetricValue(retention::testing::HttpGet(metrics_port, "/metrics"), name);
  };
  const auto backlog_seconds = retention::bench::SecondsToCount([&] { return metric("retention_health_inputs_applied_total"); }, total);
  if (!backlog_seconds.has_value()) {
    std::fprintf(stderr, "the service did not take the backlog in time:\n%s\n", service.Log().c_str());
    return 1;
  }
  const double seconds = *backlog_seconds;
  std::printf("backlog: %d events in %.2f s = %.0f events/s, %.0f signals published\n", total, seconds,
              total / seconds, metric("retention_health_signals_published_total"));

  // (2) Latency at a steady rate: a subscriber's view, from send to signal received.
  auto probe = retention::bench::SignalLatencyProbe::Start(brokers, health_topic, [](const std::string& value) {
    v1::HealthSignal signal;
    return signal.ParseFromString(value) ? signal.trigger_event_id() : std::string();
  });
  if (probe == nullptr) return 1;
  retention::bench::MeasureSteadyRate(
      *probe, **producer, absl::GetFlag(FLAGS_rate), absl::GetFlag(FLAGS_latency_phase),
      [&](int n) {
        // Alternate promoters and detractors so that most events change the band or stage.
        v1::InteractionEvent e = Event(absl::StrCat(run, "-live-", n), absl::StrCat(run, "-acct-", n % accounts),
                                       per_account + n / accounts, rng);
        e.mutable_survey_response()->set_nps(n / accounts % 2 == 0 ? 1 : 10);
        OutgoingRecord r = Record(e);
        r.topic = v1_topic;
        return std::make_pair(e.event_id(), std::move(r));
      },
      [&](int sent) { return metric("retention_health_inputs_applied_total") >= total + sent; });

  // (3) State in Redis.
  auto hp = retention::config::ParseHostPort(absl::GetFlag(FLAGS_redis_addr), "--redis_addr");
  retention::redis::RedisOptions ro;
  ro.host = hp->host;
  ro.port = hp->port;
  retention::redis::RedisClient redis(ro);
  double bytes = 0, memory = 0;
  const int sample = std::min(accounts, 200);
  for (int a = 0; a < sample; ++a) {
    const std::string key = absl::StrCat(run, ":acct:{", run, "-acct-", a, "}");
    auto replies = redis.Pipeline({{"STRLEN", key}, {"MEMORY", "USAGE", key}});
    if (!replies.ok()) return 1;
    bytes += static_cast<double>((*replies)[0].integer);
    memory += static_cast<double>((*replies)[1].integer);
  }
  std::printf("state per account (%d days of history): %.0f bytes serialized, %.0f bytes in Redis memory\n",
              per_account, bytes / sample, memory / sample);
  service.Terminate();
  return 0;
}
