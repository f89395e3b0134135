// Ingest end to end against the real Kafka broker and Redis.
#include <grpcpp/grpcpp.h>

#include <map>

#include "gtest/gtest.h"
#include "retention/v1/dead_letter.pb.h"
#include "retention/v1/ingest_service.grpc.pb.h"
#include "tests/integration/ingest_harness.h"

namespace retention::testing {
namespace {

std::map<std::string, v1::InteractionEvent> ById(const std::vector<kafka::ConsumedRecord>& records) {
  std::map<std::string, v1::InteractionEvent> events;
  for (const kafka::ConsumedRecord& r : records) {
    v1::InteractionEvent e;
    EXPECT_TRUE(e.ParseFromString(r.value));
    EXPECT_EQ(r.key, e.account_id()) << "v1 records are keyed by account id";
    events[e.event_id()] = e;
  }
  return events;
}

// How many times each event id is on the topic.
std::map<std::string, int> Occurrences(const std::vector<kafka::ConsumedRecord>& records) {
  std::map<std::string, int> counts;
  for (const kafka::ConsumedRecord& r : records) {
    v1::InteractionEvent e;
    EXPECT_TRUE(e.ParseFromString(r.value));
    ++counts[e.event_id()];
  }
  return counts;
}

TEST(Ingest, JsonAndProtobufEventsComeOutCanonicalKeyedByAccount) {
  IngestHarness h;
  auto ingest = h.Start();
  ProduceAll(h.raw, {AsProtobuf(UsageEvent(h.Id("p-1"), "acct-a", 7)),
                     AsJson("acct-b", R"({"eventId":")" + h.Id("j-1") + R"(","accountId":"acct-b",
                        "occurredAt":"2026-09-21T10:00:00Z","surveyResponse":{"nps":9,"comment":"great"}})")});
  const auto records = ReadTopic(h.v1, 2, absl::Seconds(60));
  ASSERT_EQ(records.size(), 2u);
  auto events = ById(records);
  ASSERT_EQ(events.count(h.Id("p-1")), 1u);
  ASSERT_EQ(events.count(h.Id("j-1")), 1u);
  EXPECT_EQ(events[h.Id("p-1")].product_usage().active_users(), 7);
  EXPECT_EQ(events[h.Id("j-1")].survey_response().nps(), 9);
  EXPECT_EQ(events[h.Id("j-1")].account_id(), "acct-b");
  EXPECT_GT(events[h.Id("j-1")].received_at().seconds(), 0) << "ingest stamps received_at";
  for (const auto& r : records) {
    ASSERT_NE(kafka::FindHeader(r.headers, "content-type"), nullptr);
    EXPECT_EQ(*kafka::FindHeader(r.headers, "content-type"), "application/x-protobuf");
  }
  EXPECT_EQ(ingest->Terminate(), 0) << ingest->Log();
}

TEST(Ingest, AnEventSentThreeTimesComesOutOnce) {
  IngestHarness h;
  auto ingest = h.Start();
  const auto e = UsageEvent(h.Id("thrice"), "acct-c");
  ProduceAll(h.raw, {AsProtobuf(e), AsProtobuf(e)});
  ProduceAll(h.raw, {AsProtobuf(e), AsProtobuf(UsageEvent(h.Id("other"), "acct-c"))});
  ASSERT_TRUE(WaitFor([&] { return MetricValue(h.Metrics(), "retention_ingest_events_in_total") >= 4; },
                      absl::Seconds(60)));
  EXPECT_EQ(ingest->Terminate(), 0);
  const auto records = ReadTopic(h.v1, 2, absl::Seconds(30));
  auto seen = Occurrences(records);
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(seen[h.Id("thrice")], 1);
  EXPECT_EQ(seen[h.Id("other")], 1);
}

TEST(Ingest, EachKindOfMalformedRecordIsDeadLetteredWithItsReasonAndTheCountsAddUp) {
  IngestHarness h;
  auto ingest = h.Start();
  auto nps11 = UsageEvent(h.Id("nps-11"), "acct-d");
  nps11.mutable_survey_response()->set_nps(11);
  std::vector<kafka::OutgoingRecord> bad = {
      {"", "acct-d", std::string("\xff\xff\xff\xff", 4), {{"content-type", "application/x-protobuf"}}},
      AsJson("acct-d", "{\"eventId\": \"broken"),
      AsJson("acct-d", R"({"eventId":"no-acct","occurredAt":"2026-09-21T10:00:00Z","surveyResponse":{"nps":3}})"),
      AsProtobuf(nps11),
      {"", "acct-d", std::string(100 * 1024, 'x'), {{"content-type", "application/x-protobuf"}}},
      AsJson("acct-d", R"({"eventId":"alien","accountId":"acct-d","occurredAt":"2026-09-21T10:00:00Z","hologram":{}})"),
  };
  const std::vector<v1::RejectReason> expected = {v1::UNDECODABLE,   v1::INVALID_JSON, v1::MISSING_FIELD,
                                                  v1::OUT_OF_RANGE,  v1::TOO_LARGE,    v1::UNKNOWN_PAYLOAD};
  std::vector<kafka::OutgoingRecord> all = bad;
  all.push_back(AsProtobuf(UsageEvent(h.Id("good-1"), "acct-d")));
  all.push_back(AsProtobuf(UsageEvent(h.Id("good-1"), "acct-d")));
  all.push_back(AsProtobuf(UsageEvent(h.Id("good-2"), "acct-d")));
  // One key, so one partition: the dead letters keep the order they were sent in.
  ProduceAll(h.raw, all);

  const auto letters = ReadTopic(h.dlq, bad.size(), absl::Seconds(60));
  ASSERT_EQ(letters.size(), bad.size());
  for (size_t i = 0; i < letters.size(); ++i) {
    v1::DeadLetter letter;
    ASSERT_TRUE(letter.ParseFromString(letters[i].value));
    EXPECT_EQ(letter.reason(), expected[i]) << i << ": " << letter.detail();
    EXPECT_EQ(letter.original_value(), bad[i].value) << "original bytes kept";
    ASSERT_EQ(letter.original_headers_size(), 1);
    EXPECT_EQ(letter.original_headers(0).key(), "content-type");
    EXPECT_EQ(letter.source_topic(), h.raw);
    EXPECT_FALSE(letter.detail().empty());
    ASSERT_NE(kafka::FindHeader(letters[i].headers, "reject-reason"), nullptr);
    EXPECT_EQ(*kafka::FindHeader(letters[i].headers, "reject-reason"), v1::RejectReason_Name(expected[i]));
  }
  const auto published = ReadTopic(h.v1, 2, absl::Seconds(30));
  EXPECT_EQ(published.size(), 2u);

  std::string metrics;
  ASSERT_TRUE(WaitFor(
      [&] {
        metrics = h.Metrics();
        return MetricValue(metrics, "retention_ingest_events_in_total", R"(path="kafka")") >= all.size();
      },
      absl::Seconds(30)));
  const double in = MetricValue(metrics, "retention_ingest_events_in_total", R"(path="kafka")");
  const double out = MetricValue(metrics, "retention_ingest_events_out_total", R"(path="kafka")");
  const double dup = MetricValue(metrics, "retention_ingest_duplicates_total", R"(path="kafka")");
  const double rejected = MetricValue(metrics, "retention_ingest_rejected_total", R"(path="kafka")");
  EXPECT_EQ(in, static_cast<double>(all.size()));
  EXPECT_EQ(out, 2);
  EXPECT_EQ(dup, 1);
  EXPECT_EQ(rejected, static_cast<double>(bad.size()));
  EXPECT_EQ(in, out + dup + rejected);
  EXPECT_EQ(MetricValue(metrics, "retention_ingest_rejected_total", R"(reason="OUT_OF_RANGE")"), 1);
  EXPECT_EQ(ingest->Terminate(), 0);
}

TEST(Ingest, GrpcSubmitAnswersPerEventAndPublishesTheAcceptedOnes) {
  IngestHarness h;
  auto ingest = h.Start();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", h.grpc_port), grpc::InsecureChannelCredentials());
  auto stub = v1::IngestService::NewStub(channel);

  v1::SubmitRequest request;
  *request.add_events() = UsageEvent(h.Id("g-1"), "acct-g");
  *request.add_events() = UsageEvent(h.Id("g-1"), "acct-g");
  auto bad = UsageEvent(h.Id("g-2"), "acct-g");
  bad.mutable_survey_response()->set_nps(12);
  *request.add_events() = bad;
  v1::SubmitResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  const grpc::Status status = stub->Submit(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.results_size(), 3);
  EXPECT_EQ(response.results(0).status(), v1::SubmitResult::ACCEPTED);
  EXPECT_EQ(response.results(1).status(), v1::SubmitResult::DUPLICATE);
  EXPECT_EQ(response.results(2).status(), v1::SubmitResult::REJECTED);
  EXPECT_EQ(response.results(2).reason(), v1::OUT_OF_RANGE);
  EXPECT_EQ(response.results(2).detail(), "survey_response.nps must be 0-10, got 12");

  // The same event later through Kafka is a repeat too.
  ProduceAll(h.raw, {AsProtobuf(UsageEvent(h.Id("g-1"), "acct-g")), AsProtobuf(UsageEvent(h.Id("g-3"), "acct-g"))});
  ASSERT_TRUE(WaitFor([&] { return MetricValue(h.Metrics(), "retention_ingest_events_in_total", R"(path="kafka")") >= 2; },
                      absl::Seconds(60)));
  EXPECT_EQ(ingest->Terminate(), 0);
  const auto records = ReadTopic(h.v1, 2, absl::Seconds(30));
  auto seen = Occurrences(records);
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(seen[h.Id("g-1")], 1) << "once, though submitted twice and sent once more through Kafka";
  EXPECT_EQ(seen[h.Id("g-3")], 1);
}

TEST(Ingest, GrpcSubmitWithNoEventsIsInvalidArgumentNamingTheField) {
  IngestHarness h;
  auto ingest = h.Start();
  auto stub = v1::IngestService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", h.grpc_port), grpc::InsecureChannelCredentials()));
  v1::SubmitRequest request;
  v1::SubmitResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub->Submit(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("events"), std::string::npos) << status.error_message();
  EXPECT_EQ(ingest->Terminate(), 0);
}

}  // namespace
}  // namespace retention::testing
