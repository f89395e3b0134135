// Benchmark of churn-risk: (1) events/s over a backlog, (2) send-to-signal latency at a
// steady rate as a subscriber sees it (p50/p99), (3) GetRisk QPS with p50/p99 latency.
#include <grpcpp/grpcpp.h>

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
#include "libs/kafka/admin.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "retention/v1/churn_risk.grpc.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "tests/support/env.h"
#include "tests/support/process.h"
#include "tools/benchmarks/bench_util.h"

ABSL_FLAG(std::string, kafka_brokers, "", "Kafka bootstrap servers");
ABSL_FLAG(std::string, redis_addr, "", "Redis host:port");
ABSL_FLAG(std::string, binary, "bazel-bin/services/churn-risk/churn-risk", "The churn-risk binary");
ABSL_FLAG(std::string, model, "services/churn-risk/models/churn-2026-11-a.textproto", "Model file");
ABSL_FLAG(int, accounts, 2000, "Accounts in the backlog");
ABSL_FLAG(int, events_per_account, 100, "Backlog events per account");
ABSL_FLAG(int, rate, 1000, "Events/s in the latency phase");
ABSL_FLAG(absl::Duration, phase, absl::Seconds(10), "Length of the latency and query phases");
ABSL_FLAG(int, query_threads, 4, "Concurrent GetRisk callers");

namespace {

namespace v1 = retention::v1;
using retention::kafka::OutgoingRecord;

v1::InteractionEvent Event(const std::string& id, const std::string& account, int64_t day, std::mt19937& rng) {
  v1::InteractionEvent e;
  e.set_event_id(id);
  e.set_account_id(account);
  e.mutable_occurred_at()->set_seconds(1'780'000'000 + day * 86400);
  e.mutable_received_at()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  switch (rng() % 10) {
    case 0: e.mutable_survey_response()->set_nps(static_cast<int>(rng() % 11)); break;
    case 1: e.mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED); break;
    case 2: {
      auto* c = e.mutable_contract_billing();
      c->set_kind(v1::ContractBilling::RENEWED);
      c->set_arr(10'000 + static_cast<int64_t>(rng() % 200'000));
      break;
    }
    default: {
      auto* u = e.mutable_product_usage();
      u->set_active_users(static_cast<int>(rng() % 50));
      u->set_licensed_seats(50);
    }
  }
  return e;
}

OutgoingRecord Record(const v1::InteractionEvent& e, const std::string& topic) {
  return {topic, e.account_id(), e.SerializeAsString(), {{"content-type", "application/x-protobuf"}}};
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string brokers = absl::GetFlag(FLAGS_kafka_brokers);
  const std::string run = retention::testing::UniqueName("cbench");
  const std::string v1_topic = run + "-v1", health_topic = run + "-health", churn_topic = run + "-churn",
                    quarantine_topic = run + "-quarantine";
  retention::testing::CreateTopics({v1_topic, health_topic, churn_topic, quarantine_topic}, 3, brokers);
  retention::kafka::ProducerOptions options;
  options.kafka = retention::testing::KafkaFor(brokers);
  auto producer = retention::kafka::KafkaProducer::Create(options, absl::Seconds(30));
  if (!producer.ok()) return 1;

  std::mt19937 rng(13);
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const int per_account = absl::GetFlag(FLAGS_events_per_account);
  std::vector<OutgoingRecord> backlog;
  for (int day = 0; day < per_account; ++day) {
    for (int a = 0; a < accounts; ++a) {
      backlog.push_back(Record(Event(absl::StrCat(run, "-", a, "-", day), absl::StrCat(run, "-acct-", a), day, rng), v1_topic));
    }
  }
  if (!(*producer)->ProduceAndWait(backlog, absl::Minutes(5)).ok()) return 1;
  const int total = static_cast<int>(backlog.size());
  std::printf("loaded %d events for %d accounts\n", total, accounts);

  const int metrics_port = retention::testing::FreePort();
  const int grpc_port = retention::testing::FreePort();
  retention::testing::Process service(
      absl::GetFlag(FLAGS_binary),
      {"--kafka_brokers=" + brokers, "--redis_addr=" + absl::GetFlag(FLAGS_redis_addr), "--v1_topic=" + v1_topic,
       "--health_topic=" + health_topic, "--churn_topic=" + churn_topic, "--quarantine_topic=" + quarantine_topic,
       "--group_id=" + run, "--instance_id=" + run, "--state_prefix=" + run,
       "--model=" + absl::GetFlag(FLAGS_model), absl::StrCat("--grpc_port=", grpc_port),
       absl::StrCat("--metrics_port=", metrics_port), "--log_level=warn"},
      "/tmp/" + run + ".log");
  const auto metric = [&](const char* name) {
    return retention::testing::MetricValue(retention::testing::HttpGet(metrics_port, "/metrics"), name);
  };
  const auto backlog_seconds = retention::bench::SecondsToCount([&] { return metric("retention_churn_inputs_applied_total"); }, total);
  if (!backlog_seconds.has_value()) {
    std::fprintf(stderr, "the service did not take the backlog in time:\n%s\n", service.Log().c_str());
    return 1;
  }
  const double seconds = *backlog_seconds;
  std::printf("backlog: %d events in %.2f s = %.0f events/s, %.0f signals published\n", total, seconds,
              total / seconds, metric("retention_churn_signals_published_total"));

  // (2) Latency at a steady rate, from send to signal received by a subscriber.
  auto probe = retention::bench::SignalLatencyProbe::Start(brokers, churn_topic, [](const std::string& value) {
    v1::ChurnRiskSignal signal;
    return signal.ParseFromString(value) ? signal.trigger_event_id() : std::string();
  });
  if (probe == nullptr) return 1;
  retention::bench::MeasureSteadyRate(
      *probe, **producer, absl::GetFlag(FLAGS_rate), absl::GetFlag(FLAGS_phase),
      [&](int n) {
        // Detractors and promoters in turn, so that most events move the tier.
        v1::InteractionEvent e = Event(absl::StrCat(run, "-live-", n), absl::StrCat(run, "-acct-", n % accounts),
                                       per_account + n / accounts, rng);
        e.mutable_survey_response()->set_nps(n / accounts % 2 == 0 ? 0 : 10);
        return std::make_pair(e.event_id(), Record(e, v1_topic));
      },
      [&](int sent) { return metric("retention_churn_inputs_applied_total") >= total + sent; });

  // (3) GetRisk from concurrent callers.
  const int threads = absl::GetFlag(FLAGS_query_threads);
  std::vector<std::unique_ptr<v1::ChurnRiskService::Stub>> stubs;
  for (int t = 0; t < threads; ++t) {
    stubs.push_back(v1::ChurnRiskService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials())));
  }
  const auto results = retention::bench::RunCallers(threads, absl::GetFlag(FLAGS_phase), [&](int caller, int n) {
    v1::GetRiskRequest request;
    request.set_account_id(absl::StrCat(run, "-acct-", (n * 7919 + caller * 104729) % accounts));
    v1::ChurnRisk risk;
    grpc::ClientContext context;
    return stubs[caller]->GetRisk(&context, request, &risk).ok();
  });
  std::printf("GetRisk, %d callers for %s: %.0f QPS, p50 %.2f ms, p99 %.2f ms, %d failed\n", threads,
              absl::FormatDuration(absl::GetFlag(FLAGS_phase)).c_str(), results.qps,
              retention::bench::Percentile(results.milliseconds, 0.5),
              retention::bench::Percentile(results.milliseconds, 0.99), results.failed);
  service.Terminate();
  return 0;
}
