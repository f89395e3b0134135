// retentionctl against ingest and the real Kafka broker: a record refused for a wrong
// content-type is replayed once fixed, and then reaches the v1 topic.
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "retention/v1/dead_letter.pb.h"
#include "tests/integration/ingest_harness.h"
#include "tests/support/account_script.h"

namespace retention::testing {
namespace {

// Runs retentionctl to its end; its exit code and output.
std::pair<int, std::string> Ctl(const std::vector<std::string>& args) {
  static int runs = 0;
  const std::string log = absl::StrCat(std::getenv("TEST_TMPDIR"), "/retentionctl-", ++runs, ".log");
  Process p(Runfile("tools/retentionctl/retentionctl"), args, log);
  const int code = p.Wait(absl::Seconds(60));
  return {code, p.Log()};
}

TEST(Retentionctl, ReplaysAFixedDeadLetterThroughIngestToTheV1Topic) {
  IngestHarness h;
  auto ingest = h.Start();
  const std::string id = h.Id("mislabelled");
  const std::string file = absl::StrCat(std::getenv("TEST_TMPDIR"), "/mislabelled.jsonl");
  std::ofstream(file) << "{\"eventId\":\"" << id << "\",\"accountId\":\"acme\",\"occurredAt\":\"2026-09-15T09:00:00Z\","
                      << "\"engagement\":{\"kind\":\"TRAINING\"}}\n";
  // An upstream bug: JSON labelled as protobuf. Ingest cannot decode it.
  auto [sent, sent_log] = Ctl({"send", file, "--brokers=" + h.brokers, "--topic=" + h.raw,
                               "--content_type=application/x-protobuf"});
  ASSERT_EQ(sent, 0) << sent_log;
  ASSERT_EQ(ReadTopic(h.dlq, 1, absl::Seconds(60)).size(), 1u);

  auto [listed, dlq] = Ctl({"dlq", "--brokers=" + h.brokers, "--topic=" + h.dlq});
  ASSERT_EQ(listed, 0) << dlq;
  EXPECT_TRUE(absl::StrContains(dlq, "UNDECODABLE")) << dlq;
  // A dry run says what it would do and sends nothing.
  auto [dry, dry_log] = Ctl({"replay", "--brokers=" + h.brokers, "--topic=" + h.dlq, "--to_topic=" + h.raw,
                             "--reason=UNDECODABLE", "--dry_run"});
  ASSERT_EQ(dry, 0) << dry_log;
  EXPECT_TRUE(absl::StrContains(dry_log, "would replay")) << dry_log;

  // Fixed: replayed with the right content-type, it goes through.
  auto [replayed, replay_log] = Ctl({"replay", "--brokers=" + h.brokers, "--topic=" + h.dlq, "--to_topic=" + h.raw,
                                     "--offsets=" + [&] {
                                       const auto letters = ReadTopic(h.dlq, 1, absl::Seconds(30));
                                       return absl::StrCat(letters[0].partition, ":", letters[0].offset);
                                     }(),
                                     "--content_type=application/json"});
  ASSERT_EQ(replayed, 0) << replay_log;
  EXPECT_TRUE(absl::StrContains(replay_log, "replayed 1 records")) << replay_log;
  const auto v1 = ReadTopic(h.v1, 1, absl::Seconds(60));
  ASSERT_EQ(v1.size(), 1u);
  v1::InteractionEvent event;
  ASSERT_TRUE(event.ParseFromString(v1[0].value));
  EXPECT_EQ(event.event_id(), id);
  // The dry run sent nothing: one dead letter only, and tail decodes it by the topic's name.
  auto [tailed, tail_log] = Ctl({"tail", "--brokers=" + h.brokers, "--topic=" + h.dlq, "--json"});
  ASSERT_EQ(tailed, 0) << tail_log;
  EXPECT_TRUE(absl::StrContains(tail_log, "\"reason\":\"UNDECODABLE\"")) << tail_log;
  EXPECT_EQ(ReadTopic(h.dlq, 1, absl::Seconds(10)).size(), 1u);

  // Clear errors: nothing chosen, a bad offset.
  auto [none, none_log] = Ctl({"replay", "--brokers=" + h.brokers, "--topic=" + h.dlq});
  EXPECT_EQ(none, 2);
  EXPECT_TRUE(absl::StrContains(none_log, "choose the records to replay")) << none_log;
  auto [bad, bad_log] = Ctl({"replay", "--brokers=" + h.brokers, "--topic=" + h.dlq, "--offsets=x"});
  EXPECT_EQ(bad, 2);
  EXPECT_TRUE(absl::StrContains(bad_log, "expected PARTITION:OFFSET")) << bad_log;
  EXPECT_EQ(ingest->Terminate(), 0);
}

// `watch risk` prints churn-risk signals as they are published, filtered by tier.
TEST(Retentionctl, WatchPrintsRiskSignalsAsTheyArePublished) {
  const std::string v1 = UniqueName("v1"), health = UniqueName("health"), churn = UniqueName("churn"),
                    quarantine = UniqueName("quarantine");
  CreateTopics({v1, health, churn, quarantine});
  const int grpc_port = FreePort();
  const std::string instance = UniqueName("churn-risk");
  Process service(Runfile("services/churn-risk/churn-risk"),
                  {"--kafka_brokers=" + KafkaBrokers(), "--redis_addr=" + RedisAddr(), "--v1_topic=" + v1,
                   "--health_topic=" + health, "--churn_topic=" + churn, "--quarantine_topic=" + quarantine,
                   "--group_id=" + instance, ScriptClockFlag(), "--state_prefix=" + instance,
                   "--instance_id=" + instance, absl::StrCat("--grpc_port=", grpc_port), "--metrics_port=0",
                   "--model=" + Runfile("services/churn-risk/models/churn-2026-11-a.textproto")},
                  absl::StrCat(std::getenv("TEST_TMPDIR"), "/", instance, ".log"));
  ASSERT_TRUE(service.WaitForLog("churn-risk ready", absl::Seconds(60))) << service.Log();
  Process watch(Runfile("tools/retentionctl/retentionctl"),
                {"watch", "risk", absl::StrCat("--churn_addr=127.0.0.1:", grpc_port), "--min_tier=MEDIUM",
                 "--watch_for=60s"},
                absl::StrCat(std::getenv("TEST_TMPDIR"), "/watch.log"));
  // The watch subscribes from now on: keep sending until it has printed a MEDIUM (or
  // higher) signal of the risky account, which piles up escalations and detractor
  // answers; the calm one only promotes.
  const std::string risky = UniqueName("risky"), calm = UniqueName("calm");
  int n = 0;
  ASSERT_TRUE(WaitFor([&] {
    std::vector<kafka::OutgoingRecord> records;
    for (const std::string& account : {risky, risky, calm}) {
      v1::InteractionEvent e;
      e.set_event_id(absl::StrCat(account, "-", ++n));
      e.set_account_id(account);
      e.mutable_occurred_at()->set_seconds(kDay0 + n * 3600);
      if (account == calm) {
        e.mutable_survey_response()->set_nps(10);
      } else if (n % 2 == 0) {
        e.mutable_support_ticket()->set_status(v1::SupportTicket::ESCALATED);
      } else {
        e.mutable_survey_response()->set_nps(0);
      }
      records.push_back({"", account, e.SerializeAsString(), {}});
    }
    ProduceAll(v1, records);
    const std::string printed = watch.Log();
    return absl::StrContains(printed, risky) &&
           (absl::StrContains(printed, "MEDIUM") || absl::StrContains(printed, "HIGH"));
  }, absl::Seconds(45))) << "watch printed:\n" << watch.Log() << "\nchurn-risk logged:\n" << service.Log();
  // Only MEDIUM and above: the calm account (LOW) never shows.
  EXPECT_FALSE(absl::StrContains(watch.Log(), calm)) << watch.Log();
  EXPECT_EQ(service.Terminate(), 0);
}

}  // namespace
}  // namespace retention::testing
