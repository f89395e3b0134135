#include "services/ingest/decode.h"

#include "gtest/gtest.h"

namespace retention::ingest {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

v1::InteractionEvent ValidSurvey(int nps) {
  v1::InteractionEvent e;
  e.set_event_id("evt-1");
  e.set_account_id("acct-42");
  e.mutable_occurred_at()->set_seconds(1'789'999'000);
  e.mutable_survey_response()->set_nps(nps);
  return e;
}

std::vector<kafka::Header> Json() { return {{"content-type", "application/json"}}; }
std::vector<kafka::Header> Proto() { return {{"content-type", "application/x-protobuf"}}; }

TEST(DecodeRecord, AcceptsProtobuf) {
  const Decoded d = DecodeRecord(ValidSurvey(9).SerializeAsString(), Proto(), IngestSettings{}, kNow);
  ASSERT_TRUE(d.event.has_value()) << d.rejection.detail;
  EXPECT_EQ(d.event->account_id(), "acct-42");
  EXPECT_EQ(d.event->survey_response().nps(), 9);
}

TEST(DecodeRecord, AcceptsProtobufJsonMapping) {
  const std::string json = R"({"eventId":"e-7","accountId":"a-1","occurredAt":"2026-09-21T10:00:00Z",
    "productUsage":{"activeUsers":12,"licensedSeats":20,"featuresUsed":["reports","api"]}})";
  const Decoded d = DecodeRecord(json, Json(), IngestSettings{}, kNow);
  ASSERT_TRUE(d.event.has_value()) << d.rejection.detail;
  EXPECT_EQ(d.event->product_usage().active_users(), 12);
  EXPECT_EQ(d.event->product_usage().features_used_size(), 2);
}

TEST(DecodeRecord, WithoutContentTypeSniffsJsonByItsBrace) {
  const std::string json = R"(  {"eventId":"e","accountId":"a","occurredAt":"2026-09-21T10:00:00Z",
    "valueDelivery":{"outcome":"faster-close"}})";
  EXPECT_TRUE(DecodeRecord(json, {}, IngestSettings{}, kNow).event.has_value());
  EXPECT_TRUE(DecodeRecord(ValidSurvey(3).SerializeAsString(), {}, IngestSettings{}, kNow).event.has_value());
}

TEST(DecodeRecord, RejectsEachKindOfMalformedRecordWithItsReason) {
  struct Case {
    std::string name;
    std::string value;
    std::vector<kafka::Header> headers;
    v1::RejectReason reason;
  };
  const std::vector<Case> cases = {
      {"undecodable bytes", std::string("\xff\xff\xff\xff", 4), Proto(), v1::UNDECODABLE},
      {"invalid json", "{\"eventId\": ", Json(), v1::INVALID_JSON},
      {"missing account", R"({"eventId":"e","occurredAt":"2026-09-21T10:00:00Z","surveyResponse":{"nps":5}})",
       Json(), v1::MISSING_FIELD},
      {"nps 11", ValidSurvey(11).SerializeAsString(), Proto(), v1::OUT_OF_RANGE},
      {"oversize", std::string(70 * 1024, 'x'), Proto(), v1::TOO_LARGE},
      {"unknown payload", R"({"eventId":"e","accountId":"a","occurredAt":"2026-09-21T10:00:00Z","teleport":{}})",
       Json(), v1::UNKNOWN_PAYLOAD},
      {"unknown content type", "x", {{"content-type", "text/csv"}}, v1::UNSUPPORTED_CONTENT_TYPE},
      {"future", R"({"eventId":"e","accountId":"a","occurredAt":"2027-01-01T00:00:00Z","surveyResponse":{"nps":5}})",
       Json(), v1::FUTURE_TIMESTAMP},
  };
  for (const Case& c : cases) {
    const Decoded d = DecodeRecord(c.value, c.headers, IngestSettings{}, kNow);
    EXPECT_FALSE(d.event.has_value()) << c.name;
    EXPECT_EQ(d.rejection.reason, c.reason) << c.name << ": " << d.rejection.detail;
    EXPECT_FALSE(d.rejection.detail.empty()) << c.name;
  }
}

TEST(DecodeRecord, NamesTheFieldAndValueOutOfRange) {
  const Decoded d = DecodeRecord(ValidSurvey(11).SerializeAsString(), Proto(), IngestSettings{}, kNow);
  EXPECT_EQ(d.rejection.detail, "survey_response.nps must be 0-10, got 11");
  EXPECT_EQ(d.event_id, "evt-1");
}

TEST(DecodeRecord, UnknownPayloadInProtobufIsUnknownPayload) {
  v1::InteractionEvent e = ValidSurvey(5);
  e.clear_payload();
  // Field 99 stands for a payload added by a newer producer.
  std::string bytes = e.SerializeAsString() + std::string("\x9a\x06\x00", 3);
  const Decoded d = DecodeRecord(bytes, Proto(), IngestSettings{}, kNow);
  EXPECT_EQ(d.rejection.reason, v1::UNKNOWN_PAYLOAD) << d.rejection.detail;
}

TEST(Validate, NpsEdgesAreInclusive) {
  EXPECT_FALSE(Validate(ValidSurvey(0), IngestSettings{}, kNow).has_value());
  EXPECT_FALSE(Validate(ValidSurvey(10), IngestSettings{}, kNow).has_value());
  EXPECT_TRUE(Validate(ValidSurvey(-1), IngestSettings{}, kNow).has_value());
}

TEST(Validate, FutureSkewIsAllowedUpToTheLimit) {
  IngestSettings settings;
  settings.max_future_skew = absl::Minutes(5);
  v1::InteractionEvent e = ValidSurvey(8);
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow + absl::Minutes(5)));
  EXPECT_FALSE(Validate(e, settings, kNow).has_value());
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(kNow + absl::Minutes(5) + absl::Seconds(1)));
  ASSERT_TRUE(Validate(e, settings, kNow).has_value());
  EXPECT_EQ(Validate(e, settings, kNow)->reason, v1::FUTURE_TIMESTAMP);
}

TEST(Validate, AccountProfileNeedsAPlanAndImportanceInRange) {
  v1::InteractionEvent e = ValidSurvey(8);
  e.mutable_account_profile()->set_industry("fintech");
  ASSERT_TRUE(Validate(e, IngestSettings{}, kNow).has_value());
  EXPECT_EQ(Validate(e, IngestSettings{}, kNow)->detail, "account_profile.plan is required");
  e.mutable_account_profile()->set_plan("enterprise");
  e.mutable_account_profile()->set_strategic_importance(11);
  ASSERT_TRUE(Validate(e, IngestSettings{}, kNow).has_value());
  EXPECT_EQ(Validate(e, IngestSettings{}, kNow)->reason, v1::OUT_OF_RANGE);
  e.mutable_account_profile()->set_strategic_importance(10);
  EXPECT_FALSE(Validate(e, IngestSettings{}, kNow).has_value());
}

TEST(Validate, PayloadKindsAreRequired) {
  v1::InteractionEvent e = ValidSurvey(8);
  e.mutable_contract_billing()->set_arr(1000);
  ASSERT_TRUE(Validate(e, IngestSettings{}, kNow).has_value());
  EXPECT_EQ(Validate(e, IngestSettings{}, kNow)->detail, "contract_billing.kind is required");
}

// Found by fuzzing (an event dated far before year 1 made health-score and churn-risk
// overflow their day arithmetic): the protobuf encoding carries any int64 seconds, so
// ingest checks that occurred_at is a time a Timestamp may hold.
TEST(Validate, RejectsAnOccurredAtOutsideTheYears1To9999) {
  v1::InteractionEvent e = ValidSurvey(9);
  e.mutable_occurred_at()->set_seconds(-(int64_t{1} << 62));
  auto rejection = Validate(e, IngestSettings{}, kNow);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_EQ(rejection->reason, v1::OUT_OF_RANGE);
  e.mutable_occurred_at()->set_seconds(1'789'999'000);
  e.mutable_occurred_at()->set_nanos(-1);
  EXPECT_TRUE(Validate(e, IngestSettings{}, kNow).has_value());
  EXPECT_EQ(DecodeRecord(e.SerializeAsString(), Proto(), IngestSettings{}, kNow).rejection.reason, v1::OUT_OF_RANGE);
}

}  // namespace
}  // namespace retention::ingest
