// retentionctl against ingest and the real Kafka broker: a record refused for a wrong
// content-type is replayed once fixed, and then reaches the v1 topic.
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "retention/v1/dead_letter.pb.h"
#include "tests/integration/ingest_harness.h"

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

}  // namespace
}  // namespace retention::testing
