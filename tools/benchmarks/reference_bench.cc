// Benchmark of reference-pipeline: (1) inputs/s over a backlog of events, health and
// churn signals, (2) FindReferences QPS with p50/p99 latency over the eligible accounts.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/producer.h"
#include "retention/v1/advocacy.grpc.pb.h"
#include "tests/support/env.h"
#include "tests/support/process.h"
#include "tools/benchmarks/bench_util.h"

ABSL_FLAG(std::string, kafka_brokers, "", "Kafka bootstrap servers");
ABSL_FLAG(std::string, redis_addr, "", "Redis host:port");
ABSL_FLAG(std::string, binary, "bazel-bin/services/reference-pipeline/reference-pipeline", "The service binary");
ABSL_FLAG(std::string, policy, "services/reference-pipeline/policies/default.textproto", "Policy file");
ABSL_FLAG(int, accounts, 5000, "Accounts in the backlog");
ABSL_FLAG(int, events_per_account, 40, "Backlog events per account");
ABSL_FLAG(absl::Duration, phase, absl::Seconds(10), "Length of the query phase");
ABSL_FLAG(int, query_threads, 4, "Concurrent FindReferences callers");

namespace {

namespace v1 = retention::v1;
using retention::kafka::OutgoingRecord;

const std::vector<std::string> kIndustries = {"fintech", "healthcare", "retail", "manufacturing", "education"};
const std::vector<std::string> kProducts = {"analytics", "workflows", "integrations", "mobile"};
constexpr int64_t kDay0 = 1'780'000'000;

v1::InteractionEvent Event(const std::string& id, const std::string& account, int day) {
  v1::InteractionEvent e;
  e.set_event_id(id);
  e.set_account_id(account);
  e.set_contact_id(account + "-c1");
  e.mutable_occurred_at()->set_seconds(kDay0 + day * 86400);
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string brokers = absl::GetFlag(FLAGS_kafka_brokers);
  const std::string run = retention::testing::UniqueName("rbench");
  const std::string v1_topic = run + "-v1", health_topic = run + "-health", churn_topic = run + "-churn",
                    advocacy_topic = run + "-advocacy", requests_topic = run + "-requests",
                    quarantine_topic = run + "-quarantine";
  retention::testing::CreateTopics(
      {v1_topic, health_topic, churn_topic, advocacy_topic, requests_topic, quarantine_topic}, 3, brokers);
  retention::kafka::ProducerOptions options;
  options.kafka = retention::testing::KafkaFor(brokers);
  auto producer = retention::kafka::KafkaProducer::Create(options, absl::Seconds(30));
  if (!producer.ok()) return 1;

  // Per account: a profile, a contract, a value outcome, consent, some advocacy actions
  // and usage; then its health and churn signals. About 40% end up eligible.
  std::mt19937 rng(17);
  const int accounts = absl::GetFlag(FLAGS_accounts);
  const int per_account = absl::GetFlag(FLAGS_events_per_account);
  std::vector<OutgoingRecord> backlog;
  for (int a = 0; a < accounts; ++a) {
    const std::string account = absl::StrCat(run, "-acct-", a);
    int n = 0;
    const auto add = [&](v1::InteractionEvent e, const std::string& topic) {
      backlog.push_back({topic, account, e.SerializeAsString(), {}});
    };
    for (int i = 0; i < per_account; ++i) {
      v1::InteractionEvent e = Event(absl::StrCat(account, "-", n++), account, i);
      switch (i) {
        case 0: {
          auto* p = e.mutable_account_profile();
          p->set_plan("business");
          p->set_industry(kIndustries[rng() % kIndustries.size()]);
          p->set_region(rng() % 2 ? "emea" : "na");
          for (const auto& product : kProducts) {
            if (rng() % 2) p->add_products(product);
          }
          break;
        }
        case 1: e.mutable_contract_billing()->set_kind(v1::ContractBilling::RENEWED); break;
        case 2: e.mutable_value_delivery()->set_outcome("reduced-close-time"); break;
        case 3: e.mutable_advocacy_action()->set_kind(rng() % 5 ? v1::AdvocacyAction::REFERENCE_CONSENT
                                                                 : v1::AdvocacyAction::CONSENT_REVOKED); break;
        default:
          if (rng() % 8 == 0) {
            e.mutable_advocacy_action()->set_kind(v1::AdvocacyAction::REVIEW);
          } else {
            e.mutable_product_usage()->set_active_users(static_cast<int>(rng() % 50));
          }
      }
      add(e, v1_topic);
    }
    v1::HealthSignal h;
    h.set_signal_id(account + "-hs");
    h.set_account_id(account);
    const bool green = rng() % 3 != 0;
    h.mutable_health()->set_band(green ? v1::GREEN : v1::YELLOW);
    h.mutable_health()->set_loyalty_stage(green ? v1::LIKE : v1::SATISFACTION);
    backlog.push_back({health_topic, account, h.SerializeAsString(), {}});
    v1::ChurnRiskSignal c;
    c.set_signal_id(account + "-cs");
    c.set_account_id(account);
    c.mutable_risk()->set_tier(rng() % 4 ? v1::LOW : v1::HIGH);
    backlog.push_back({churn_topic, account, c.SerializeAsString(), {}});
  }
  if (!(*producer)->ProduceAndWait(backlog, absl::Minutes(5)).ok()) return 1;
  const int total = static_cast<int>(backlog.size());
  std::printf("loaded %d inputs (events, health and churn signals) for %d accounts\n", total, accounts);

  const int metrics_port = retention::testing::FreePort();
  const int grpc_port = retention::testing::FreePort();
  retention::testing::Process service(
      absl::GetFlag(FLAGS_binary),
      {"--kafka_brokers=" + brokers, "--redis_addr=" + absl::GetFlag(FLAGS_redis_addr), "--v1_topic=" + v1_topic,
       "--health_topic=" + health_topic, "--churn_topic=" + churn_topic, "--advocacy_topic=" + advocacy_topic,
       "--requests_topic=" + requests_topic, "--quarantine_topic=" + quarantine_topic,
       "--group_id=" + run, "--instance_id=" + run, "--state_prefix=" + run, "--policy=" + absl::GetFlag(FLAGS_policy),
       absl::StrCat("--grpc_port=", grpc_port), absl::StrCat("--metrics_port=", metrics_port), "--log_level=warn"},
      "/tmp/" + run + ".log");
  const auto metric = [&](const char* name) {
    return retention::testing::MetricValue(retention::testing::HttpGet(metrics_port, "/metrics"), name);
  };
  const auto seconds =
      retention::bench::SecondsToCount([&] { return metric("retention_reference_inputs_applied_total"); }, total);
  if (!seconds.has_value()) {
    std::fprintf(stderr, "the service did not take the backlog in time:\n%s\n", service.Log().c_str());
    return 1;
  }
  std::printf("backlog: %d inputs in %.2f s = %.0f inputs/s, %.0f advocacy signals published\n", total, *seconds,
              total / *seconds, metric("retention_reference_signals_published_total"));

  // FindReferences from concurrent callers, with varying criteria.
  const int threads = absl::GetFlag(FLAGS_query_threads);
  std::vector<std::unique_ptr<v1::ReferencePipelineService::Stub>> stubs;
  for (int t = 0; t < threads; ++t) {
    stubs.push_back(v1::ReferencePipelineService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port), grpc::InsecureChannelCredentials())));
  }
  std::atomic<int> eligible{0};
  const auto results = retention::bench::RunCallers(threads, absl::GetFlag(FLAGS_phase), [&](int caller, int n) {
    v1::FindReferencesRequest request;
    request.mutable_criteria()->set_industry(kIndustries[(n + caller) % kIndustries.size()]);
    request.mutable_criteria()->add_products(kProducts[(n * 3 + caller) % kProducts.size()]);
    request.mutable_criteria()->set_region("emea");
    request.set_limit(10);
    v1::FindReferencesResponse response;
    grpc::ClientContext context;
    const bool ok = stubs[caller]->FindReferences(&context, request, &response).ok();
    eligible = response.eligible_accounts();
    return ok;
  });
  std::printf("FindReferences over %d eligible of %d accounts, %d callers for %s: %.0f QPS, p50 %.2f ms, p99 %.2f ms, "
              "%d failed\n",
              eligible.load(), accounts, threads, absl::FormatDuration(absl::GetFlag(FLAGS_phase)).c_str(), results.qps,
              retention::bench::Percentile(results.milliseconds, 0.5),
              retention::bench::Percentile(results.milliseconds, 0.99), results.failed);
  service.Terminate();
  return 0;
}
