// Redis or Kafka going away while ingest runs: retried, logged, visible in metrics and
// in grpc.health.v1, never a crash; once back, the events held up come through. A
// broker killed while ingest's transactions are open loses and repeats nothing.
#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/integration/ingest_harness.h"
#include "tests/support/servers.h"

namespace retention::testing {
namespace {

double DependencyUp(IngestHarness& h, const std::string& dependency) {
  return MetricValue(h.Metrics(), "retention_ingest_dependency_up", "dependency=\"" + dependency + "\"");
}

TEST(IngestOutage, RedisGoingAwayIsRetriedAndReportedThenRecovers) {
  RedisServer redis;
  IngestHarness h(KafkaBrokers(), redis.addr());
  auto ingest = h.Start();
  ProduceAll(h.raw, {AsProtobuf(UsageEvent(h.Id("before"), "acct-r"))});
  ASSERT_EQ(ReadTopic(h.v1, 1, absl::Seconds(60)).size(), 1u);
  EXPECT_EQ(HealthStatus(h.grpc_port), "SERVING");

  redis.Kill();
  ProduceAll(h.raw, {AsProtobuf(UsageEvent(h.Id("during"), "acct-r"))});
  EXPECT_TRUE(WaitFor([&] { return DependencyUp(h, "redis") == 0; }, absl::Seconds(60))) << h.Metrics();
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(h.grpc_port) == "NOT_SERVING"; }, absl::Seconds(30)));
  EXPECT_GT(MetricValue(h.Metrics(), "retention_ingest_dependency_errors_total", R"(dependency="redis")"), 0);
  EXPECT_TRUE(ingest->Running()) << ingest->Log();
  EXPECT_NE(ingest->Log().find("dependency failed; retrying"), std::string::npos);

  redis.Start();
  const auto records = ReadTopic(h.v1, 2, absl::Seconds(60));
  EXPECT_EQ(records.size(), 2u) << "the event held up during the outage comes through, once";
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(h.grpc_port) == "SERVING"; }, absl::Seconds(30)));
  EXPECT_EQ(DependencyUp(h, "redis"), 1);
  EXPECT_EQ(ingest->Terminate(), 0) << ingest->Log();
}

TEST(IngestOutage, KafkaGoingAwayIsRetriedAndReportedThenRecovers) {
  KafkaBroker broker;
  IngestHarness h(broker.brokers(), RedisAddr());
  auto ingest = h.Start();
  ProduceAll(h.raw, {AsProtobuf(UsageEvent(h.Id("before"), "acct-k"))}, broker.brokers());
  ASSERT_EQ(ReadTopic(h.v1, 1, absl::Seconds(60), broker.brokers()).size(), 1u) << ingest->Log() << h.Metrics();

  broker.Kill();
  EXPECT_TRUE(WaitFor([&] { return DependencyUp(h, "kafka") == 0; }, absl::Seconds(90))) << ingest->Log();
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(h.grpc_port) == "NOT_SERVING"; }, absl::Seconds(30)));
  EXPECT_TRUE(ingest->Running()) << ingest->Log();

  broker.Start();
  ProduceAll(h.raw, {AsProtobuf(UsageEvent(h.Id("after"), "acct-k"))}, broker.brokers());
  const auto records = ReadTopic(h.v1, 2, absl::Seconds(120), broker.brokers());
  EXPECT_EQ(records.size(), 2u) << ingest->Log();
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(h.grpc_port) == "SERVING"; }, absl::Seconds(60)));
  EXPECT_EQ(ingest->Terminate(), 0) << ingest->Log();
}

TEST(IngestOutage, ABrokerKilledMidTransactionLosesNothingRepeatsNothingAndKeepsEachAccountsOrder) {
  KafkaBroker broker;
  IngestHarness h(broker.brokers(), RedisAddr());
  constexpr int kAccounts = 30;
  constexpr int kPerAccount = 400;
  std::vector<kafka::OutgoingRecord> raw;
  for (int k = 0; k < kPerAccount; ++k) {
    for (int a = 0; a < kAccounts; ++a) {
      raw.push_back(AsProtobuf(UsageEvent(h.Id(absl::StrCat("a", a, "-", k)), absl::StrCat("acct-", a))));
    }
  }
  ProduceAll(h.raw, raw, broker.brokers());
  // A subscriber reading v1 as ingest writes it, through the outage.
  TopicWatcher v1(h.v1, broker.brokers());
  const std::vector<std::string> flags = {"--max_batch=200", "--stuck_publish_exit=20s"};
  auto ingest = h.Start(flags);
  ASSERT_TRUE(v1.WaitUntil([](const auto& records) { return records.size() >= 1000; }, absl::Seconds(60)))
      << ingest->Log();
  broker.Kill();  // SIGKILL: the transaction in hand is open
  const size_t before_kill = v1.Records().size();
  ASSERT_TRUE(WaitFor([&] { return DependencyUp(h, "kafka") == 0; }, absl::Seconds(30)))
      << "ingest says Kafka is gone within seconds, mid-transaction too\n" << ingest->Log();
  broker.Start();
  const size_t total = raw.size();
  // A transaction call of librdkafka may never return once its coordinator died
  // mid-call; ingest then exits by itself (code 75) and, as a supervisor would, the
  // test starts it again.
  int restarts = 0;
  EXPECT_TRUE(WaitFor(
      [&] {
        if (v1.Records().size() >= total) return true;
        if (!ingest->Running()) {
          EXPECT_EQ(ingest->Wait(absl::Seconds(5)), 75) << ingest->Log();
          EXPECT_TRUE(absl::StrContains(ingest->Log(), "kafka transaction stuck")) << ingest->Log();
          ingest = h.Start(flags);
          ++restarts;
        }
        return false;
      },
      absl::Seconds(240)))
      << v1.Records().size() << " of " << total << "\n" << ingest->Log();
  // Anything extra would be here by the time ingest has read everything and gone idle.
  ASSERT_TRUE(WaitFor([&] { return MetricValue(h.Metrics(), "retention_ingest_consumer_lag") == 0; },
                      absl::Seconds(60)));
  const auto records = ReadTopic(h.v1, total, absl::Seconds(60), broker.brokers());
  std::map<std::string, int> seen;
  std::map<std::string, std::vector<int>> order;  // account -> k, as a subscriber saw them
  for (const kafka::ConsumedRecord& r : v1.Records()) {
    v1::InteractionEvent e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    ++seen[e.event_id()];
    const std::vector<std::string> parts = absl::StrSplit(e.event_id(), '-');
    int k = 0;
    ASSERT_TRUE(absl::SimpleAtoi(parts.back(), &k)) << e.event_id();
    order[e.account_id()].push_back(k);
  }
  int missing = 0;
  int repeated = 0;
  for (int a = 0; a < kAccounts; ++a) {
    for (int k = 0; k < kPerAccount; ++k) {
      const int n = seen[h.Id(absl::StrCat("a", a, "-", k))];
      missing += n == 0;
      repeated += n > 1;
    }
  }
  std::printf(
      "broker killed after %zu of %zu events on v1; after its restart (ingest restarted %d times): %zu records, %d "
      "missing, %d repeated\n",
      before_kill, total, restarts, v1.Records().size(), missing, repeated);
  EXPECT_LT(before_kill, total) << "the broker died mid-stream";
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(repeated, 0);
  EXPECT_EQ(records.size(), total) << "a fresh read_committed reader sees the same";
  for (const auto& [account, ks] : order) {
    EXPECT_TRUE(std::is_sorted(ks.begin(), ks.end())) << account << " out of order";
  }
  EXPECT_EQ(ingest->Terminate(), 0) << ingest->Log();
}

}  // namespace
}  // namespace retention::testing
