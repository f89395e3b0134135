#include "services/ingest/decode.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "libs/proto/time_util.h"

namespace retention::ingest {
namespace {

using v1::InteractionEvent;

constexpr size_t kMaxIdBytes = 128;

Rejection Reject(v1::RejectReason reason, std::string detail) { return {reason, std::move(detail)}; }

std::optional<Rejection> CheckRange(const char* field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    return Reject(v1::OUT_OF_RANGE, absl::StrCat(field, " must be ", lo, "-", hi, ", got ", value));
  }
  return std::nullopt;
}

std::optional<Rejection> Missing(const char* field) {
  return Reject(v1::MISSING_FIELD, absl::StrCat(field, " is required"));
}

std::optional<Rejection> ValidatePayload(const InteractionEvent& e) {
  switch (e.payload_case()) {
    case InteractionEvent::kProductUsage: {
      const auto& p = e.product_usage();
      if (auto r = CheckRange("product_usage.active_users", p.active_users(), 0, 10'000'000)) return r;
      if (auto r = CheckRange("product_usage.licensed_seats", p.licensed_seats(), 0, 10'000'000)) return r;
      if (auto r = CheckRange("product_usage.sessions", p.sessions(), 0, 1'000'000'000)) return r;
      return CheckRange("product_usage.period_hours", p.period_hours(), 0, 744);
    }
    case InteractionEvent::kSupportTicket: {
      const auto& p = e.support_ticket();
      if (p.ticket_id().empty()) return Missing("support_ticket.ticket_id");
      if (p.status() == v1::SupportTicket::STATUS_UNSPECIFIED) return Missing("support_ticket.status");
      if (p.hours_to_resolve() < 0) {
        return Reject(v1::OUT_OF_RANGE, absl::StrCat("support_ticket.hours_to_resolve must be >= 0, got ",
                                                     p.hours_to_resolve()));
      }
      if (p.has_satisfaction()) return CheckRange("support_ticket.satisfaction", p.satisfaction(), 1, 5);
      return std::nullopt;
    }
    case InteractionEvent::kSurveyResponse: {
      const auto& p = e.survey_response();
      if (!p.has_nps() && !p.has_csat()) return Missing("survey_response.nps or survey_response.csat");
      if (p.has_nps()) {
        if (auto r = CheckRange("survey_response.nps", p.nps(), 0, 10)) return r;
      }
      if (p.has_csat()) return CheckRange("survey_response.csat", p.csat(), 1, 5);
      return std::nullopt;
    }
    case InteractionEvent::kContractBilling: {
      const auto& p = e.contract_billing();
      if (p.kind() == v1::ContractBilling::KIND_UNSPECIFIED) return Missing("contract_billing.kind");
      if (p.arr() < 0) return CheckRange("contract_billing.arr", p.arr(), 0, INT64_MAX);
      return CheckRange("contract_billing.seats", p.seats(), 0, 10'000'000);
    }
    case InteractionEvent::kStakeholderChange:
      if (e.stakeholder_change().kind() == v1::StakeholderChange::KIND_UNSPECIFIED) {
        return Missing("stakeholder_change.kind");
      }
      if (e.contact_id().empty()) return Missing("contact_id (for stakeholder_change)");
      return std::nullopt;
    case InteractionEvent::kEngagement:
      if (e.engagement().kind() == v1::Engagement::KIND_UNSPECIFIED) return Missing("engagement.kind");
      return std::nullopt;
    case InteractionEvent::kValueDelivery:
      if (e.value_delivery().outcome().empty()) return Missing("value_delivery.outcome");
      return std::nullopt;
    case InteractionEvent::kAdvocacyAction: {
      const auto& p = e.advocacy_action();
      if (p.kind() == v1::AdvocacyAction::KIND_UNSPECIFIED) return Missing("advocacy_action.kind");
      if (p.has_rating()) return CheckRange("advocacy_action.rating", p.rating(), 1, 5);
      return std::nullopt;
    }
    case InteractionEvent::kWinLoss:
      if (e.win_loss().outcome() == v1::WinLossOutcome::OUTCOME_UNSPECIFIED) {
        return Missing("win_loss.outcome");
      }
      return std::nullopt;
    case InteractionEvent::kAccountProfile:
      if (e.account_profile().plan().empty()) return Missing("account_profile.plan");
      return CheckRange("account_profile.strategic_importance", e.account_profile().strategic_importance(), 0, 10);
    case InteractionEvent::PAYLOAD_NOT_SET:
      break;
  }
  return Reject(v1::UNKNOWN_PAYLOAD, "no payload this version knows (payload oneof unset)");
}

std::optional<Rejection> DecodeJson(const std::string& value, InteractionEvent* event) {
  google::protobuf::util::JsonParseOptions strict;
  const auto status = google::protobuf::util::JsonStringToMessage(value, event, strict);
  if (status.ok()) return std::nullopt;
  // A field this version does not know: if it was the payload, say UNKNOWN_PAYLOAD.
  google::protobuf::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;
  InteractionEvent relaxed;
  if (google::protobuf::util::JsonStringToMessage(value, &relaxed, lenient).ok()) {
    if (relaxed.payload_case() == InteractionEvent::PAYLOAD_NOT_SET) {
      event->Swap(&relaxed);
      return Reject(v1::UNKNOWN_PAYLOAD, absl::StrCat("no payload this version knows: ", status.ToString()));
    }
    event->Swap(&relaxed);
  }
  return Reject(v1::INVALID_JSON, std::string(status.message()));
}

}  // namespace

std::optional<Rejection> Validate(const InteractionEvent& e, const IngestSettings& settings, absl::Time now) {
  if (e.event_id().empty()) return Missing("event_id");
  if (e.event_id().size() > kMaxIdBytes) {
    return Reject(v1::OUT_OF_RANGE, absl::StrCat("event_id is ", e.event_id().size(), " bytes; at most 128"));
  }
  if (e.account_id().empty()) return Missing("account_id");
  if (e.account_id().size() > kMaxIdBytes) {
    return Reject(v1::OUT_OF_RANGE, absl::StrCat("account_id is ", e.account_id().size(), " bytes; at most 128"));
  }
  if (!e.has_occurred_at() || (e.occurred_at().seconds() == 0 && e.occurred_at().nanos() == 0)) {
    return Missing("occurred_at");
  }
  if (!proto::IsValidTimestamp(e.occurred_at())) {
    return Reject(v1::OUT_OF_RANGE, "occurred_at is not a time between the years 1 and 9999");
  }
  const absl::Time occurred =
      absl::FromUnixSeconds(e.occurred_at().seconds()) + absl::Nanoseconds(e.occurred_at().nanos());
  if (occurred > now + settings.max_future_skew) {
    return Reject(v1::FUTURE_TIMESTAMP,
                  absl::StrCat("occurred_at ", absl::FormatTime(occurred, absl::UTCTimeZone()), " is ",
                               absl::FormatDuration(absl::Trunc(occurred - now, absl::Seconds(1))),
                               " ahead of ingest's clock; at most ",
                               absl::FormatDuration(settings.max_future_skew)));
  }
  return ValidatePayload(e);
}

Decoded DecodeRecord(const std::string& value, const std::vector<kafka::Header>& headers,
                     const IngestSettings& settings, absl::Time now) {
  Decoded out;
  if (value.size() > settings.max_event_bytes) {
    out.rejection = Reject(v1::TOO_LARGE, absl::StrCat("record is ", value.size(), " bytes; at most ",
                                                       settings.max_event_bytes));
    return out;
  }
  bool json = false;
  if (const std::string* type = kafka::FindHeader(headers, kContentTypeHeader)) {
    // "application/json; charset=utf-8" names JSON too.
    const absl::string_view media = absl::StripAsciiWhitespace(absl::string_view(*type).substr(0, type->find(';')));
    if (absl::EqualsIgnoreCase(media, kContentTypeJson)) {
      json = true;
    } else if (!absl::EqualsIgnoreCase(media, kContentTypeProtobuf)) {
      out.rejection = Reject(v1::UNSUPPORTED_CONTENT_TYPE,
                             absl::StrCat("content-type \"", *type, "\"; expected ", kContentTypeProtobuf,
                                          " or ", kContentTypeJson));
      return out;
    }
  } else {
    json = absl::StartsWith(absl::StripLeadingAsciiWhitespace(value), "{");
  }
  InteractionEvent event;
  if (json) {
    if (auto rejection = DecodeJson(value, &event)) {
      out.event_id = event.event_id();
      out.rejection = *rejection;
      return out;
    }
  } else if (!event.ParseFromString(value)) {
    out.rejection = Reject(v1::UNDECODABLE, "not a valid protobuf retention.v1.InteractionEvent");
    return out;
  }
  out.event_id = event.event_id();
  if (auto rejection = Validate(event, settings, now)) {
    out.rejection = *rejection;
    return out;
  }
  out.event = std::move(event);
  return out;
}

}  // namespace retention::ingest
