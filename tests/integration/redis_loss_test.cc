// Redis taking data with it, end to end with all four services on a Redis of the
// test's own: restarted cleanly with persistence (nothing lost), flushed mid-stream
// (every service stops serving within seconds and says why; a rebuild brings every
// account back, overrides and reference requests included), and failed over to a
// replica that missed the last writes (detected, not served).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "libs/redis/redis_client.h"
#include "tests/chaos/chaos.h"
#include "tests/support/env.h"
#include "tests/support/kafka_io.h"
#include "tests/support/process.h"
#include "tests/support/servers.h"
#include "tests/support/tcp_proxy.h"

namespace retention::chaos {
namespace {

const std::vector<std::string> kServices = {"ingest", "health-score", "churn-risk", "reference-pipeline"};

// The stages every run goes through: the events and the decisions, then (after Redis
// went through something) more events.
void EventsAndDecisions(SuiteRun& run) {
  run.SendEvents(0, 1);
  run.Settle("the events");
  run.SendDecisions();
  run.Settle("the decisions");
}

Outcome Calm(const Scenario& scenario) {
  SuiteRun run(scenario, RunOptions());
  EventsAndDecisions(run);
  run.SendLater();
  run.Settle("the later events");
  return run.ReadBack();
}

void ExpectSame(const Scenario& scenario, const Outcome& calm, const Outcome& other) {
  const std::vector<std::string> differences = Differences(scenario, calm, other);
  std::vector<std::string> first(differences.begin(), differences.begin() + std::min<size_t>(differences.size(), 10));
  EXPECT_TRUE(differences.empty()) << differences.size() << " differences from the calm run, the first:\n"
                                   << absl::StrJoin(first, "\n");
}

redis::RedisClient Client(int port) {
  redis::RedisOptions options;
  options.port = port;
  return redis::RedisClient(options);
}

// Every service says NOT_SERVING over grpc.health.v1 and retention_state_lost is 1.
bool NoneServing(SuiteRun& run) {
  for (const std::string& service : kServices) {
    if (testing::HealthStatus(run.GrpcPort(service)) != "NOT_SERVING") return false;
    const std::string metrics = testing::HttpGet(run.MetricsPort(service), "/metrics");
    if (testing::MetricValue(metrics, "retention_state_lost", "service=\"" + service + "\"") != 1) return false;
  }
  return true;
}

void Rebuild(SuiteRun& run, const std::string& redis_addr) {
  for (const std::string& service : kServices) {
    testing::Process ctl(testing::Runfile("tools/retentionctl/retentionctl"),
                         {"rebuild", service, "--redis_addr=" + redis_addr, "--state_prefix=" + run.StatePrefix(service)},
                         absl::StrCat(std::getenv("TEST_TMPDIR"), "/rebuild-", service, ".log"));
    EXPECT_EQ(ctl.Wait(absl::Seconds(60)), 0) << ctl.Log();
  }
}

TEST(RedisLoss, ACleanRestartWithPersistenceLosesNothing) {
  const Scenario scenario = MakeScenario(11, 60, testing::UniqueName("restart"));
  const Outcome calm = Calm(scenario);
  testing::RedisServer redis;
  SuiteRun run(scenario, RunOptions(), redis.addr());
  EventsAndDecisions(run);
  redis.Stop();  // SIGTERM: the append-only file is complete
  redis.Start();
  run.SendLater();
  run.Settle("the later events, after the restart");
  for (const std::string& service : kServices) {
    EXPECT_EQ(testing::HealthStatus(run.GrpcPort(service)), "SERVING") << service << " lost nothing";
  }
  ExpectSame(scenario, calm, run.ReadBack());
}

TEST(RedisLoss, AFlushStopsEveryServiceUntilARebuildBringsEveryAccountBack) {
  const Scenario scenario = MakeScenario(12, 60, testing::UniqueName("flush"));
  const Outcome calm = Calm(scenario);
  testing::RedisServer redis;
  SuiteRun run(scenario, RunOptions(), redis.addr());
  EventsAndDecisions(run);

  auto client = Client(redis.port());
  ASSERT_TRUE(client.Pipeline({{"FLUSHALL"}}).ok());
  const absl::Time flushed = absl::Now();
  run.SendLater();  // the stream goes on
  ASSERT_TRUE(testing::WaitFor([&] { return NoneServing(run); }, absl::Seconds(20)))
      << "every service stops serving once its state is gone";
  std::printf("every service NOT_SERVING %.1f s after the flush\n", absl::ToDoubleSeconds(absl::Now() - flushed));
  for (const std::string& service : kServices) {
    const std::string log = run.Logs(service);
    EXPECT_TRUE(absl::StrContains(log, "retentionctl rebuild")) << service << " says how to recover:\n" << log;
  }

  Rebuild(run, redis.addr());
  run.Settle("after the rebuild");
  for (const std::string& service : kServices) {
    EXPECT_EQ(testing::HealthStatus(run.GrpcPort(service)), "SERVING") << service;
  }
  ExpectSame(scenario, calm, run.ReadBack());
}

TEST(RedisLoss, AFailoverToAReplicaThatMissedTheLastWritesIsDetectedNotServed) {
  const Scenario scenario = MakeScenario(13, 40, testing::UniqueName("failover"));
  testing::RedisServer primary;
  testing::RedisServer replica({"--replicaof", "127.0.0.1", absl::StrCat(primary.port())});
  testing::TcpProxy endpoint(primary.port());  // what the services know: a managed primary endpoint
  SuiteRun run(scenario, RunOptions(), absl::StrCat("127.0.0.1:", endpoint.port()));
  EventsAndDecisions(run);

  // The replica has everything so far, then stops receiving writes (its link breaks).
  auto primary_client = Client(primary.port());
  auto replica_client = Client(replica.port());
  const auto offset = [](redis::RedisClient& c) {
    auto replies = c.Pipeline({{"INFO", "replication"}});
    if (!replies.ok()) return std::string();
    for (absl::string_view line : absl::StrSplit((*replies)[0].str, "\r\n")) {
      if (absl::StartsWith(line, "master_repl_offset:")) return std::string(line.substr(19));
    }
    return std::string();
  };
  ASSERT_TRUE(testing::WaitFor([&] { return !offset(primary_client).empty() && offset(primary_client) == offset(replica_client); },
                               absl::Seconds(30)));
  ASSERT_TRUE(replica_client.Pipeline({{"REPLICAOF", "NO", "ONE"}}).ok());
  run.SendLater();
  run.Settle("the later events, written to the primary only");

  // The failover: the endpoint now leads to the replica, which missed those writes.
  endpoint.SwitchTo(replica.port());
  primary.Kill();
  const absl::Time failed_over = absl::Now();
  // Upstream keeps sending (ingest notices at its next batch).
  std::vector<kafka::OutgoingRecord> more;
  for (int i = 0; i < 5; ++i) {
    v1::InteractionEvent e;
    e.set_event_id(testing::UniqueName("after-failover"));
    e.set_account_id(scenario.accounts[0]);
    e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(scenario.clock - absl::Hours(1)));
    e.mutable_engagement()->set_kind(v1::Engagement::WEBINAR);
    more.push_back({"", e.account_id(), e.SerializeAsString(), {{"content-type", "application/x-protobuf"}}});
  }
  testing::ProduceAll(run.topics().raw, more);
  ASSERT_TRUE(testing::WaitFor([&] { return NoneServing(run); }, absl::Seconds(30)))
      << "a state that went back is refused, not served";
  std::printf("every service NOT_SERVING %.1f s after the failover\n", absl::ToDoubleSeconds(absl::Now() - failed_over));
}

}  // namespace
}  // namespace retention::chaos
