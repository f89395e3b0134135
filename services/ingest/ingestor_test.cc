#include "services/ingest/ingestor.h"

#include <map>

#include "gtest/gtest.h"
#include "services/ingest/memory_dedupe.h"
#include "retention/v1/dead_letter.pb.h"

namespace retention::ingest {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

v1::InteractionEvent Event(const std::string& id, const std::string& account) {
  v1::InteractionEvent e;
  e.set_event_id(id);
  e.set_account_id(account);
  e.mutable_occurred_at()->set_seconds(1'789'000'000);
  e.mutable_engagement()->set_kind(v1::Engagement::QBR);
  return e;
}

kafka::ConsumedRecord Raw(const v1::InteractionEvent& e, int64_t offset) {
  kafka::ConsumedRecord r;
  r.topic = "raw";
  r.partition = 0;
  r.offset = offset;
  r.key = e.account_id();
  r.value = e.SerializeAsString();
  r.headers = {{"content-type", "application/x-protobuf"}, {"trace", "t-1"}};
  return r;
}

TEST(Ingestor, PublishesCanonicalEventsKeyedByAccountAndStampsReceivedAt) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  auto out = ingestor.ProcessRecords({Raw(Event("e1", "acct-1"), 0)}, kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->records.size(), 1u);
  const kafka::OutgoingRecord& r = out->records[0];
  EXPECT_EQ(r.topic, "retention.interactions.v1");
  EXPECT_EQ(r.key, "acct-1");
  v1::InteractionEvent published;
  ASSERT_TRUE(published.ParseFromString(r.value));
  EXPECT_EQ(published.event_id(), "e1");
  EXPECT_EQ(published.received_at().seconds(), absl::ToUnixSeconds(kNow));
  ASSERT_NE(kafka::FindHeader(r.headers, "content-type"), nullptr);
  EXPECT_EQ(*kafka::FindHeader(r.headers, "content-type"), "application/x-protobuf");
}

TEST(Ingestor, AnEventSentThreeTimesComesOutOnce) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  const auto e = Event("same", "acct-1");
  auto first = ingestor.ProcessRecords({Raw(e, 0), Raw(e, 1)}, kNow);
  auto later = ingestor.ProcessRecords({Raw(e, 7)}, kNow);
  ASSERT_TRUE(first.ok() && later.ok());
  EXPECT_EQ(first->counts.out, 1);
  EXPECT_EQ(first->counts.duplicates, 1);
  EXPECT_EQ(later->counts.out, 0);
  EXPECT_EQ(later->counts.duplicates, 1);
}

TEST(Ingestor, TheSameRecordReadAgainAfterACrashIsPublishedAgain) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  const auto record = Raw(Event("e1", "acct-1"), 5);
  ASSERT_EQ(ingestor.ProcessRecords({record}, kNow)->counts.out, 1);
  // Its transaction never committed; the broker hands the same offset over again.
  auto again = ingestor.ProcessRecords({record}, kNow);
  EXPECT_EQ(again->counts.out, 1);
  EXPECT_EQ(again->counts.duplicates, 0);
}

TEST(Ingestor, DeadLettersKeepOriginalBytesHeadersAndReason) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  kafka::ConsumedRecord bad;
  bad.topic = "raw";
  bad.partition = 2;
  bad.offset = 17;
  bad.key = "acct-9";
  bad.value = "{not json";
  bad.headers = {{"content-type", "application/json"}, {"trace", "t-9"}};
  auto out = ingestor.ProcessRecords({bad}, kNow);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 1u);
  EXPECT_EQ(out->records[0].topic, "retention.interactions.dlq");
  EXPECT_EQ(out->records[0].key, "acct-9");
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(out->records[0].value));
  EXPECT_EQ(letter.reason(), v1::INVALID_JSON);
  EXPECT_EQ(letter.original_value(), "{not json");
  ASSERT_EQ(letter.original_headers_size(), 2);
  EXPECT_EQ(letter.original_headers(1).value(), "t-9");
  EXPECT_EQ(letter.source_partition(), 2);
  EXPECT_EQ(letter.source_offset(), 17);
  EXPECT_EQ(out->counts.rejected[v1::INVALID_JSON], 1);
}

TEST(Ingestor, CountsAddUp) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  std::vector<kafka::ConsumedRecord> batch = {Raw(Event("a", "x"), 0), Raw(Event("a", "x"), 1),
                                              Raw(Event("b", "y"), 2), Raw(Event("", "y"), 3)};
  auto out = ingestor.ProcessRecords(batch, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->counts.in, 4);
  EXPECT_EQ(out->counts.out, 2);
  EXPECT_EQ(out->counts.duplicates, 1);
  EXPECT_EQ(out->counts.rejected_total(), 1);
  EXPECT_EQ(out->counts.in, out->counts.out + out->counts.duplicates + out->counts.rejected_total());
  EXPECT_EQ(out->records.size(), 3u);
}

TEST(Ingestor, AFailingStoreFailsTheWholeBatch) {
  InMemoryDedupeStore store;
  store.available = false;
  Ingestor ingestor(IngestSettings{}, &store);
  auto out = ingestor.ProcessRecords({Raw(Event("a", "x"), 0)}, kNow);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnavailable);
}

TEST(Ingestor, SubmittedEventsAreAnsweredInOrder) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  v1::InteractionEvent bad = Event("c", "z");
  bad.mutable_survey_response()->set_nps(11);
  auto out = ingestor.ProcessSubmitted({Event("a", "x"), Event("a", "x"), bad}, "call-1", kNow);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->results.size(), 3u);
  EXPECT_EQ(out->results[0].status(), v1::SubmitResult::ACCEPTED);
  EXPECT_EQ(out->results[1].status(), v1::SubmitResult::DUPLICATE);
  EXPECT_EQ(out->results[2].status(), v1::SubmitResult::REJECTED);
  EXPECT_EQ(out->results[2].reason(), v1::OUT_OF_RANGE);
  EXPECT_EQ(out->records.size(), 1u);
  EXPECT_EQ(out->claims.size(), 1u);
}

TEST(Ingestor, ARecordTooLargeToDeadLetterWholeIsKeptCutWithItsSizeAndHash) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  kafka::ConsumedRecord huge = Raw(Event("big", "acct-1"), 3);
  huge.value = std::string(1 << 20, 'x');
  auto out = ingestor.ProcessRecords({huge}, kNow);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->records.size(), 1u);
  EXPECT_LT(out->records[0].value.size(), 600u * 1024) << "fits the dead-letter topic";
  v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(out->records[0].value));
  EXPECT_EQ(letter.reason(), v1::TOO_LARGE);
  EXPECT_EQ(letter.original_size(), 1 << 20);
  EXPECT_EQ(letter.original_value().size(), 512u * 1024);
  EXPECT_EQ(letter.original_sha256().size(), 64u);
}

TEST(Ingestor, ASubmitThatDiedBeforePublishingLeavesNoRepeatBehind) {
  InMemoryDedupeStore store;
  Ingestor ingestor(IngestSettings{}, &store);
  auto first = ingestor.ProcessSubmitted({Event("e1", "x")}, "call-1", kNow);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->claims[0].pending);
  // The call dies here, never publishing. A retry meanwhile is told to retry later...
  auto meanwhile = ingestor.ProcessSubmitted({Event("e1", "x")}, "call-2", kNow);
  ASSERT_TRUE(meanwhile.ok());
  EXPECT_EQ(meanwhile->in_flight_event_id, "e1");
  // ... and once the dead call's claim lapses, the retry is accepted, not a duplicate.
  store.Lapse("e1");
  auto retry = ingestor.ProcessSubmitted({Event("e1", "x")}, "call-3", kNow);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->results[0].status(), v1::SubmitResult::ACCEPTED);
  ASSERT_TRUE(ingestor.ConfirmClaims(retry->claims).ok());
  auto repeat = ingestor.ProcessSubmitted({Event("e1", "x")}, "call-4", kNow);
  EXPECT_EQ(repeat->results[0].status(), v1::SubmitResult::DUPLICATE);
}

}  // namespace
}  // namespace retention::ingest
