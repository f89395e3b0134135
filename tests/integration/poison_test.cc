// Poison through the whole suite, against the real Kafka and Redis: a raw record of
// about 1 MB (accepted by the broker), garbage and an event dated 2100 written straight
// to v1 (a faulty backfill), and a stored state overwritten with garbage. Each is set
// aside with its reason (ingest's dead-letter topic, each service's quarantine topic)
// and counted in a metric, while the other accounts keep flowing and every lag gauge
// returns to 0 once the suite is idle.
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/redis/redis_client.h"
#include "retention/v1/dead_letter.pb.h"
#include "retention/v1/health.grpc.pb.h"
#include "tests/integration/ingest_harness.h"
#include "tests/support/suite.h"

namespace retention::testing {
namespace {

v1::InteractionEvent Event(const std::string& id, const std::string& account, absl::Time at, int active_users) {
  v1::InteractionEvent e = UsageEvent(id, account, active_users);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
  return e;
}

// The reasons on a dead-letter or quarantine topic once it holds at least `n` records.
std::multiset<std::string> Reasons(const std::string& topic, size_t n) {
  std::multiset<std::string> reasons;
  for (const kafka::ConsumedRecord& r : ReadTopic(topic, n, absl::Seconds(60))) {
    v1::DeadLetter letter;
    EXPECT_TRUE(letter.ParseFromString(r.value)) << topic;
    reasons.insert(v1::RejectReason_Name(letter.reason()));
    if (letter.reason() == v1::TOO_LARGE) {
      EXPECT_GT(letter.original_size(), 990'000) << "the original size is kept";
      EXPECT_EQ(letter.original_sha256().size(), 64u);
      EXPECT_LE(letter.original_value().size(), 512u * 1024) << "the dead letter keeps a prefix";
    }
  }
  return reasons;
}

double Quarantined(const Replica& r, const std::string& reason) {
  return MetricValue(r.Metrics(), "retention_quarantined_total", "reason=\"" + reason + "\"");
}

TEST(Poison, EachBadInputIsSetAsideWithItsReasonWhileOtherAccountsFlowAndLagReturnsToZero) {
  SuiteTopics topics;
  Deployment ingest("ingest", topics), health("health-score", topics), churn("churn-risk", topics),
      reference("reference-pipeline", topics);
  auto i = ingest.Start();
  auto h = health.Start();
  auto c = churn.Start();
  auto r = reference.Start();
  const std::string run = UniqueName("poison");
  const absl::Time t0 = absl::Now() - absl::Hours(2);
  const std::vector<std::string> accounts = {run + "-a", run + "-b", run + "-c", run + "-victim"};

  // The accounts' first events, read by every service.
  std::vector<kafka::OutgoingRecord> first;
  for (const std::string& a : accounts) first.push_back(AsProtobuf(Event(a + "-1", a, t0, 5)));
  ProduceAll(topics.raw, first);
  auto stub = v1::HealthService::NewStub(h->Channel());
  const auto last_event = [&](const std::string& account) -> int64_t {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetHealthRequest request;
    request.set_account_id(account);
    v1::AccountHealth health;
    return stub->GetHealth(&ctx, request, &health).ok() ? health.last_event_at().seconds() : -1;
  };
  for (const std::string& a : accounts) {
    ASSERT_TRUE(WaitFor([&] { return last_event(a) == absl::ToUnixSeconds(t0); }, absl::Seconds(60))) << a;
  }

  // The poison.
  ProduceAll(topics.raw, {{"", run + "-big", std::string(999'000, 'x'), {{"content-type", "application/x-protobuf"}}},
                          AsProtobuf(Event(run + "-2100-raw", run + "-future", absl::FromUnixSeconds(4'102'444'800), 5))});
  ProduceAll(topics.v1, {{"", run + "-garbage", "garbage", {}},
                         {"", run + "-future",
                          Event(run + "-2100", run + "-future", absl::FromUnixSeconds(4'102'444'800), 5).SerializeAsString(),
                          {}}});
  redis::RedisOptions options;
  const std::string addr = RedisAddr();
  options.host = addr.substr(0, addr.rfind(':'));
  options.port = std::stoi(addr.substr(addr.rfind(':') + 1));
  redis::RedisClient redis(options);
  const std::string victim = run + "-victim";
  for (const Deployment* d : {&health, &churn}) {
    auto set = redis.Pipeline({{"SET", absl::StrCat(d->group(), ":acct:{", victim, "}"), "\xff\xff not a state"}});
    ASSERT_TRUE(set.ok()) << set.status();
  }

  // The stream goes on, the victim included.
  const absl::Time t1 = t0 + absl::Minutes(30);
  std::vector<kafka::OutgoingRecord> second;
  for (const std::string& a : accounts) second.push_back(AsProtobuf(Event(a + "-2", a, t1, 6)));
  ProduceAll(topics.raw, second);
  for (const std::string& a : accounts) {
    EXPECT_TRUE(WaitFor([&] { return last_event(a) == absl::ToUnixSeconds(t1); }, absl::Seconds(60)))
        << a << " keeps flowing\n" << h->process->Log();
  }

  // The victim starts afresh, numbered above what its subscribers saw.
  std::vector<int64_t> sequences;
  for (const kafka::ConsumedRecord& record : ReadTopic(topics.health, 1, absl::Seconds(30))) {
    v1::HealthSignal signal;
    ASSERT_TRUE(signal.ParseFromString(record.value));
    if (signal.account_id() == victim) sequences.push_back(signal.sequence());
  }
  ASSERT_GE(sequences.size(), 2u);
  for (size_t k = 1; k < sequences.size(); ++k) EXPECT_GT(sequences[k], sequences[k - 1]) << k;

  EXPECT_EQ(Reasons(topics.dlq, 2), (std::multiset<std::string>{"TOO_LARGE", "FUTURE_TIMESTAMP"}));
  EXPECT_GE(MetricValue(i->Metrics(), "retention_ingest_rejected_total", "reason=\"TOO_LARGE\""), 1);
  for (const auto& [replica, topic, corrupted] :
       std::vector<std::tuple<const Replica*, std::string, bool>>{{h.get(), topics.health_quarantine, true},
                                                                  {c.get(), topics.churn_quarantine, true},
                                                                  {r.get(), topics.reference_quarantine, false}}) {
    std::multiset<std::string> expected = {"UNDECODABLE", "FUTURE_TIMESTAMP"};
    if (corrupted) expected.insert("UNREADABLE_STATE");
    EXPECT_EQ(Reasons(topic, expected.size()), expected) << topic;
    for (const std::string& reason : expected) {
      EXPECT_TRUE(WaitFor([&, replica = replica] { return Quarantined(*replica, reason) >= 1; }, absl::Seconds(10)))
          << topic << " counts " << reason;
    }
  }

  // Idle: every lag gauge reads 0 (transaction markers are not lag).
  for (const auto& [replica, metric] :
       std::vector<std::pair<const Replica*, std::string>>{{i.get(), "retention_ingest_consumer_lag"},
                                                           {h.get(), "retention_health_consumer_lag"},
                                                           {c.get(), "retention_churn_consumer_lag"},
                                                           {r.get(), "retention_reference_consumer_lag"}}) {
    EXPECT_TRUE(WaitFor([&, replica = replica, metric = metric] { return MetricValue(replica->Metrics(), metric) == 0; },
                        absl::Seconds(30)))
        << metric << " = " << MetricValue(replica->Metrics(), metric);
  }
  for (const auto& [replica, service] : std::vector<std::pair<const Replica*, std::string>>{
           {i.get(), "ingest"}, {h.get(), "health-score"}, {c.get(), "churn-risk"}, {r.get(), "reference-pipeline"}}) {
    EXPECT_EQ(MetricValue(replica->Metrics(), "retention_build_info", "service=\"" + service + "\""), 1)
        << "build info of " << service;
  }
  for (auto* replica : {&i, &h, &c, &r}) EXPECT_EQ((*replica)->process->Terminate(), 0) << (*replica)->process->Log();
}

}  // namespace
}  // namespace retention::testing
