#include "services/reference-pipeline/engine.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/proto/time_util.h"
#include "libs/stream/signal_id.h"
#include "services/reference-pipeline/requests.h"

namespace retention::reference {
namespace {

std::vector<v1::ReferenceRequest> Requests(const ReferenceAccountState& s) {
  return {s.requests().begin(), s.requests().end()};
}

const referencepipeline::Decision* FindDecision(const ReferenceAccountState& s, const std::string& command) {
  for (const auto& d : s.decisions()) {
    if (d.command_id() == command) return &d;
  }
  return nullptr;
}

void Remember(ReferenceAccountState& s, referencepipeline::Decision d) {
  *s.add_decisions() = std::move(d);
  if (s.decisions_size() > kMaxDecisions) s.mutable_decisions()->DeleteSubrange(0, s.decisions_size() - kMaxDecisions);
}

bool IsFinal(v1::ReferenceRequest::State state) {
  return state == v1::ReferenceRequest::DECLINED || state == v1::ReferenceRequest::COMPLETED ||
         state == v1::ReferenceRequest::CANCELLED;
}

// Adds or replaces a request; the oldest finished ones go beyond the cap.
void Keep(ReferenceAccountState& s, const v1::ReferenceRequest& r) {
  for (auto& existing : *s.mutable_requests()) {
    if (existing.request_id() == r.request_id()) {
      existing = r;
      return;
    }
  }
  *s.add_requests() = r;
  while (s.requests_size() > kMaxRequests) {
    int drop = 0;
    while (drop < s.requests_size() - 1 && !IsFinal(s.requests(drop).state())) ++drop;
    s.mutable_requests()->DeleteSubrange(drop, 1);
  }
}

}  // namespace

v1::AdvocacyProfile Current(const v1::ReferencePolicy& policy, const ReferenceAccountState& state, absl::Time now) {
  return Evaluate(policy, state.profile(), Requests(state), now);
}

absl::StatusOr<stream::Decoded<ReferenceInput>> ReferenceEngine::Decode(const kafka::ConsumedRecord& record) const {
  stream::Decoded<ReferenceInput> out;
  const auto fail = [](const char* what) { return absl::InvalidArgumentError(what); };
  if (record.topic == settings_.health_topic) {
    v1::HealthSignal s;
    if (!s.ParseFromString(record.value) || s.account_id().empty()) return fail("not a retention.v1.HealthSignal");
    if (!proto::IsValidTimestamp(s.health().as_of())) return fail("health signal: as_of out of range");
    out.account = s.account_id();
    out.event_time = proto::FromTimestamp(s.health().as_of());
    out.input = std::move(s);
  } else if (record.topic == settings_.churn_topic) {
    v1::ChurnRiskSignal s;
    if (!s.ParseFromString(record.value) || s.account_id().empty()) return fail("not a retention.v1.ChurnRiskSignal");
    if (!proto::IsValidTimestamp(s.risk().as_of())) return fail("churn-risk signal: as_of out of range");
    out.account = s.account_id();
    out.event_time = proto::FromTimestamp(s.risk().as_of());
    out.input = std::move(s);
  } else if (record.topic == settings_.requests_topic) {
    v1::RequestRecord r;
    if (!r.ParseFromString(record.value) || r.account_id().empty() || r.request_id().empty()) {
      return fail("not a retention.v1.RequestRecord with an account and a request id");
    }
    if (!proto::IsValidTimestamp(r.recorded_at())) return fail("request record: recorded_at out of range");
    out.account = r.account_id();
    out.event_time = proto::FromTimestamp(r.recorded_at());
    out.input = std::move(r);
  } else {
    v1::InteractionEvent e;
    if (!e.ParseFromString(record.value) || e.account_id().empty()) return fail("not a retention.v1.InteractionEvent");
    if (!e.has_occurred_at()) return fail("event without occurred_at");
    if (!proto::IsValidTimestamp(e.occurred_at())) return fail("event: occurred_at out of range");
    out.account = e.account_id();
    out.event_time = proto::FromTimestamp(e.occurred_at());
    out.input = std::move(e);
  }
  return out;
}

void ReferenceEngine::Emit(v1::AdvocacySignal s, ReferenceAccountState& state, absl::Time now,
                           stream::Emitted& out) const {
  s.set_policy_version(settings_.policy.version());
  state.set_published_sequence(out.NextSequence(state.published_sequence()));
  s.set_sequence(state.published_sequence());
  // The id depends only on what caused the signal, so a repeat after a crash has the same id.
  s.set_signal_id(stream::SignalId("as", {s.account_id(), v1::AdvocacySignal::Kind_Name(s.kind()), s.trigger_id()}));
  *s.mutable_published_at() = proto::ToTimestamp(now);
  out.Publish(settings_.advocacy_topic, s, absl::InfinitePast());
}

void ReferenceEngine::Signals(ReferenceAccountState& state, absl::Time now, bool was_eligible, v1::RiskTier was_tier,
                              const Applied& applied, const std::string& trigger, absl::Time triggered_at,
                              const std::string& time_reason, stream::Emitted& out) const {
  const v1::ReferencePolicy& policy = settings_.policy;
  const v1::AdvocacyProfile p = Current(policy, state, now);
  state.set_evaluated_at_ms(absl::ToUnixMillis(now));
  const auto signal = [&](v1::AdvocacySignal::Kind kind, std::string reason) {
    v1::AdvocacySignal s;
    s.set_account_id(p.account_id());
    s.set_kind(kind);
    s.set_reason(std::move(reason));
    *s.mutable_profile() = p;
    s.set_trigger_id(trigger);
    *s.mutable_triggered_at() = proto::ToTimestamp(triggered_at);
    s.set_previous_eligible(was_eligible);
    s.set_previous_churn_tier(was_tier);
    Emit(std::move(s), state, now, out);
  };
  if (applied.contract_signed && p.band() >= policy.ask_at_signing_min_band() &&
      p.churn_tier() <= policy.max_churn_tier()) {
    signal(v1::AdvocacySignal::ASK_AT_SIGNING, absl::StrCat(p.last_success(), " with health ",
                                                            v1::HealthBand_Name(p.band()),
                                                            ": ask for a reference commitment now"));
  }
  if (applied.risk_rose && (p.advocate() || p.consent())) {
    signal(v1::AdvocacySignal::ADVOCATE_AT_RISK,
           absl::StrCat("churn risk ", v1::RiskTier_Name(p.churn_tier()), ": stop asking, start saving"));
  }
  if (p.eligible() != was_eligible) {
    state.set_eligible(p.eligible());
    if (p.eligible()) {
      std::string why = p.advocate() ? "an advocate, now eligible" : "eligible as a reference";
      if (!time_reason.empty()) why = absl::StrCat(why, " (", time_reason, ")");
      signal(v1::AdvocacySignal::ADVOCATE_ELIGIBLE, std::move(why));
    } else {
      signal(v1::AdvocacySignal::NO_LONGER_ELIGIBLE, absl::StrJoin(p.ineligible_reasons(), "; "));
    }
  }
}

void ReferenceEngine::Decide(const v1::RequestRecord& record, const kafka::ConsumedRecord& source, absl::Time now,
                             ReferenceAccountState& state, stream::Emitted& out) const {
  const v1::ReferencePolicy& policy = settings_.policy;
  const auto outcome = [&](v1::RequestRecord decided) {
    decided.set_command_id(record.command_id());
    decided.set_account_id(record.account_id());
    decided.set_request_id(record.request_id());
    *decided.mutable_recorded_at() = proto::ToTimestamp(now);
    // Under the same key, on the same partition: the topic keeps the latest decision.
    out.Signal({settings_.requests_topic, record.request_id(), decided.SerializeAsString(),
                {{"content-type", "application/x-protobuf"}}, source.partition},
               absl::InfinitePast());
  };
  const auto refuse = [&](absl::StatusCode code, std::string reason) {
    referencepipeline::Decision d;
    d.set_command_id(record.command_id());
    d.set_request_id(record.request_id());
    d.set_reason(reason);
    d.set_code(static_cast<int>(code));
    Remember(state, d);
    v1::RequestRecord refused;
    refused.set_kind(v1::RequestRecord::REFUSED);
    refused.set_reason(std::move(reason));
    refused.set_code(static_cast<int>(code));
    outcome(std::move(refused));
  };
  v1::ReferenceRequest decided;
  if (record.has_create()) {
    if (absl::Status s = CheckCreate(record.create()); !s.ok()) return refuse(s.code(), std::string(s.message()));
    for (const auto& r : state.requests()) {
      if (r.request_id() == record.request_id()) {
        return refuse(absl::StatusCode::kAlreadyExists, absl::StrCat("request ", record.request_id(), " exists"));
      }
    }
    const v1::AdvocacyProfile p = Current(policy, state, now);
    // Protecting advocates from fatigue is the point: an ineligible account is not asked.
    if (!p.eligible()) {
      return refuse(absl::StatusCode::kFailedPrecondition,
                    absl::StrCat("account ", record.account_id(), " is not eligible: ",
                                 absl::StrJoin(p.ineligible_reasons(), "; ")));
    }
    const std::string contact = record.create().contact_id().empty() ? ContactToAsk(p) : record.create().contact_id();
    decided = NewRequest(record.create(), record.request_id(), contact, now);
  } else if (record.has_update()) {
    const v1::ReferenceRequest* current = nullptr;
    for (const auto& r : state.requests()) {
      if (r.request_id() == record.request_id()) current = &r;
    }
    if (current == nullptr) return refuse(absl::StatusCode::kNotFound, absl::StrCat("no request ", record.request_id()));
    auto moved = Transition(*current, record.update(), now);
    if (!moved.ok()) return refuse(moved.status().code(), std::string(moved.status().message()));
    decided = *std::move(moved);
  } else {
    return refuse(absl::StatusCode::kInvalidArgument, "a proposed request needs create or update");
  }
  Keep(state, decided);
  referencepipeline::Decision d;
  d.set_command_id(record.command_id());
  d.set_request_id(record.request_id());
  d.set_accepted(true);
  Remember(state, d);
  v1::RequestRecord accepted;
  accepted.set_kind(v1::RequestRecord::ACCEPTED);
  *accepted.mutable_request() = decided;
  outcome(std::move(accepted));
  v1::AdvocacySignal changed;
  changed.set_account_id(record.account_id());
  changed.set_kind(v1::AdvocacySignal::REQUEST_CHANGED);
  changed.set_reason(absl::StrCat("request ", decided.request_id(), " ", v1::ReferenceRequest::State_Name(decided.state())));
  *changed.mutable_profile() = Current(policy, state, now);
  *changed.mutable_request() = decided;
  changed.set_trigger_id(absl::StrCat(decided.request_id(), "#", decided.history_size()));
  *changed.mutable_triggered_at() = proto::ToTimestamp(now);
  changed.set_previous_eligible(state.eligible());
  changed.set_previous_churn_tier(state.profile().churn_tier());
  Emit(std::move(changed), state, now, out);
}

void ReferenceEngine::Apply(const stream::Decoded<ReferenceInput>& input, const kafka::ConsumedRecord& record,
                            absl::Time now, ReferenceAccountState& state, stream::Emitted& out) const {
  const bool was_eligible = state.eligible();
  const v1::RiskTier was_tier = state.profile().churn_tier();
  state.mutable_profile()->set_account_id(input.account);
  Applied applied;
  std::string trigger;
  if (const auto* e = std::get_if<v1::InteractionEvent>(&input.input)) {
    applied = ApplyEvent(*e, &state);
    trigger = e->event_id();
  } else if (const auto* h = std::get_if<v1::HealthSignal>(&input.input)) {
    // A repeat, or a late one from a replica that lost the account: already known.
    if (h->sequence() != 0 && h->sequence() <= state.health_sequence()) return;
    state.set_health_sequence(h->sequence());
    applied = ApplyHealth(*h, &state);
    trigger = h->signal_id();
  } else if (const auto* c = std::get_if<v1::ChurnRiskSignal>(&input.input)) {
    if (c->sequence() != 0 && c->sequence() <= state.churn_sequence()) return;
    state.set_churn_sequence(c->sequence());
    applied = ApplyChurn(settings_.policy, *c, &state);
    trigger = c->signal_id();
  } else {
    const auto& r = std::get<v1::RequestRecord>(input.input);
    trigger = absl::StrCat("request:", r.command_id());
    switch (r.kind()) {
      case v1::RequestRecord::PROPOSED:
        if (FindDecision(state, r.command_id()) == nullptr) Decide(r, record, now, state, out);
        break;
      case v1::RequestRecord::ACCEPTED: {
        // The decision as recorded (this replica's own, or one being rebuilt from the topic).
        bool newer = true;
        for (const auto& existing : state.requests()) {
          if (existing.request_id() == r.request_id()) newer = r.request().history_size() > existing.history_size();
        }
        if (newer) Keep(state, r.request());
        if (FindDecision(state, r.command_id()) == nullptr) {
          referencepipeline::Decision d;
          d.set_command_id(r.command_id());
          d.set_request_id(r.request_id());
          d.set_accepted(true);
          Remember(state, d);
        }
        break;
      }
      case v1::RequestRecord::REFUSED:
        if (FindDecision(state, r.command_id()) == nullptr) {
          referencepipeline::Decision d;
          d.set_command_id(r.command_id());
          d.set_request_id(r.request_id());
          d.set_reason(r.reason());
          d.set_code(r.code());
          Remember(state, d);
        }
        break;
      default:
        break;
    }
  }
  Signals(state, now, was_eligible, was_tier, applied, trigger, input.event_time, "", out);
}

absl::Time ReferenceEngine::NextDue(const ReferenceAccountState& state) const {
  if (state.profile().account_id().empty()) return absl::InfiniteFuture();
  return NextChange(settings_.policy, state.profile(), Requests(state), absl::FromUnixMillis(state.evaluated_at_ms()));
}

void ReferenceEngine::Tick(absl::Time due, ReferenceAccountState& state, stream::Emitted& out) const {
  const v1::AdvocacyProfile before =
      Current(settings_.policy, state, absl::FromUnixMillis(state.evaluated_at_ms()));
  std::string lapsed;
  if (!before.eligible()) lapsed = absl::StrCat(absl::StrJoin(before.ineligible_reasons(), "; "), " no longer holds");
  Signals(state, due, state.eligible(), state.profile().churn_tier(), {}, absl::StrCat("time:", absl::ToUnixMillis(due)),
          due, lapsed, out);
}

stream::AccountIndex ReferenceEngine::Index(const ReferenceAccountState& state) const {
  stream::AccountIndex index;
  if (state.eligible()) index.rankings["eligible"] = 0;
  for (const auto& r : state.requests()) index.lookups.push_back(r.request_id());
  return index;
}

}  // namespace retention::reference
