// Redis or Kafka going away while ingest runs: retried, logged, visible in metrics and
// in grpc.health.v1, never a crash; once back, the events held up come through.
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

}  // namespace
}  // namespace retention::testing
