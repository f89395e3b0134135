#include "services/churn-risk/engine.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/activity/activity.h"
#include "libs/proto/time_util.h"
#include "libs/stream/signal_id.h"
#include "services/churn-risk/features.h"
#include "services/churn-risk/model.h"

namespace retention::churn {
namespace {

using churnrisk::ChurnState;

constexpr int kQuietDays = 7;

std::string Segment(const ChurnState& s) { return s.activity().plan().empty() ? "default" : s.activity().plan(); }

std::string PayloadName(const v1::InteractionEvent& e) {
  const auto* field = e.GetDescriptor()->FindFieldByNumber(e.payload_case());
  return field == nullptr ? "event" : field->name();
}

}  // namespace

std::string InsightGroup(const std::string& segment, const std::string& period) {
  return absl::StrCat(segment, "|", period);
}

v1::ChurnRisk Assess(const v1::ChurnModel& model, const ChurnState& state, absl::Time now) {
  const Prediction p = Predict(model, ComputeFeatures(state, activity::DayOf(now)));
  const activity::Activity& a = state.activity();
  v1::ChurnRisk risk;
  risk.set_account_id(state.account_id());
  risk.set_probability(p.probability);
  risk.set_tier(p.tier);
  for (v1::RiskDriver& d : TopDrivers(model, p)) *risk.add_drivers() = std::move(d);
  risk.set_arr(a.arr());
  risk.set_revenue_at_risk(p.probability * static_cast<double>(a.arr()));
  risk.set_retention_priority(RetentionPriority(model, p.probability, a.arr(), a.strategic_importance()));
  risk.set_segment(Segment(state));
  risk.set_model_version(model.version());
  *risk.mutable_as_of() = proto::ToTimestamp(now);
  if (a.last_event_at() > 0) risk.mutable_last_event_at()->set_seconds(a.last_event_at());
  return risk;
}

absl::StatusOr<stream::Decoded<ChurnInput>> ChurnEngine::Decode(const kafka::ConsumedRecord& record) const {
  stream::Decoded<ChurnInput> out;
  if (record.topic == settings_.health_topic) {
    v1::HealthSignal s;
    if (!s.ParseFromString(record.value)) return absl::InvalidArgumentError("not a retention.v1.HealthSignal");
    if (s.account_id().empty()) return absl::InvalidArgumentError("health signal without account_id");
    if (!proto::IsValidTimestamp(s.health().as_of())) return absl::InvalidArgumentError("health signal: as_of out of range");
    out.account = s.account_id();
    out.event_time = proto::FromTimestamp(s.health().as_of());
    out.input = std::move(s);
    return out;
  }
  v1::InteractionEvent e;
  if (!e.ParseFromString(record.value)) return absl::InvalidArgumentError("not a retention.v1.InteractionEvent");
  if (e.account_id().empty()) return absl::InvalidArgumentError("event without account_id");
  if (!e.has_occurred_at()) return absl::InvalidArgumentError("event without occurred_at");
  if (!proto::IsValidTimestamp(e.occurred_at())) return absl::InvalidArgumentError("event: occurred_at out of range");
  out.account = e.account_id();
  out.event_time = proto::FromTimestamp(e.occurred_at());
  out.input = std::move(e);
  return out;
}

void ChurnEngine::Reassess(ChurnState& s, absl::Time now, const std::string& trigger_id,
                           const std::string& trigger_event_id, const std::string& reason, absl::Time triggered_at,
                           absl::Time received_at, stream::Emitted& out) const {
  const v1::ChurnModel& model = settings_.model;
  v1::ChurnRisk risk = Assess(model, s, now);
  s.set_evaluated_at_ms(absl::ToUnixMillis(now));
  std::optional<Published> last;
  if (s.published()) last = Published{s.published_probability(), s.published_tier()};
  if (!ShouldPublish(model, last, risk.probability(), risk.tier()) || out.silent) return;
  v1::ChurnRiskSignal signal;
  signal.set_signal_id(stream::SignalId("cr", {s.account_id(), trigger_id, model.version()}));
  signal.set_account_id(s.account_id());
  signal.set_previous_probability(s.published_probability());
  signal.set_previous_tier(s.published_tier());
  signal.set_trigger_event_id(trigger_event_id);
  signal.set_trigger_reason(reason);
  *signal.mutable_triggered_at() = proto::ToTimestamp(triggered_at);
  *signal.mutable_published_at() = proto::ToTimestamp(now);
  s.set_published(true);
  s.set_published_sequence(out.NextSequence(s.published_sequence()));
  signal.set_sequence(s.published_sequence());
  s.set_published_probability(risk.probability());
  s.set_published_tier(risk.tier());
  *signal.mutable_risk() = std::move(risk);
  out.Publish(settings_.churn_topic, signal, received_at);
}

void ChurnEngine::Apply(const stream::Decoded<ChurnInput>& input, const kafka::ConsumedRecord&, absl::Time now,
                        ChurnState& s, stream::Emitted& out) const {
  if (const auto* health = std::get_if<v1::HealthSignal>(&input.input)) {
    // A repeat, or a late one from a replica that lost the account: already known.
    if (health->sequence() != 0 && health->sequence() <= s.health_sequence()) return;
    s.set_health_sequence(health->sequence());
    ApplyHealth(*health, &s);
    Reassess(s, now, health->signal_id(), health->signal_id(), absl::StrCat("health signal ", health->signal_id()),
             input.event_time, proto::FromTimestamp(health->published_at()), out);
    return;
  }
  const auto& e = std::get<v1::InteractionEvent>(input.input);
  ApplyEvent(e, now, &s);
  if (e.has_win_loss()) {
    // Counted with the state that records the event applied: once, whatever retries.
    const std::string group =
        InsightGroup(Segment(s), absl::FormatTime("%Y-%m", input.event_time, absl::UTCTimeZone()));
    out.counters.push_back({group, "outcomes", 1});
    if (e.win_loss().outcome() == v1::WinLossOutcome::CHURNED) out.counters.push_back({group, "churned", 1});
    if (e.win_loss().outcome() == v1::WinLossOutcome::LOST) out.counters.push_back({group, "lost", 1});
    for (const std::string& reason : e.win_loss().reasons()) {
      out.counters.push_back({group, absl::StrCat("reason:", reason.substr(0, 128)), 1});
    }
    if (!e.win_loss().competitor().empty()) {
      out.counters.push_back({group, absl::StrCat("competitor:", e.win_loss().competitor().substr(0, 128)), 1});
    }
  }
  Reassess(s, now, e.event_id(), e.event_id(), absl::StrCat("event ", e.event_id(), " (", PayloadName(e), ")"),
           input.event_time, proto::FromTimestamp(e.received_at()), out);
}

absl::Time ChurnEngine::NextDue(const ChurnState& s) const {
  if (s.activity().events() == 0) return absl::InfiniteFuture();
  const absl::Time evaluated = absl::FromUnixMillis(s.evaluated_at_ms());
  if (evaluated - absl::FromUnixSeconds(s.activity().last_event_at()) >= activity::kTickFor) {
    return absl::InfiniteFuture();
  }
  return activity::NextDailyTick(s.account_id(), evaluated);
}

void ChurnEngine::Tick(absl::Time due, ChurnState& s, stream::Emitted& out) const {
  const int32_t today = activity::DayOf(due);
  std::string reason = "re-assessed as time passed";
  if (auto silent = activity::DaysSilent(s.activity(), today); silent && *silent >= kQuietDays) {
    reason = absl::StrCat("no activity for ", *silent, " days");
  } else if (s.activity().renewal_at() > 0) {
    const int32_t days = activity::DayOfSeconds(s.activity().renewal_at()) - today;
    if (days >= 0 && days <= 90) reason = absl::StrCat("renewal in ", days, " days");
  }
  Reassess(s, due, absl::StrCat("time:", absl::ToUnixMillis(due)), "", reason, due, absl::InfinitePast(), out);
}

stream::AccountIndex ChurnEngine::Index(const ChurnState& s) const {
  const v1::ChurnRisk risk = Assess(settings_.model, s, absl::FromUnixMillis(s.evaluated_at_ms()));
  stream::AccountIndex index;
  index.rankings["by_revenue"] = risk.revenue_at_risk();
  index.rankings["by_priority"] = risk.retention_priority();
  index.summary = risk.SerializeAsString();
  return index;
}

bool ChurnEngine::RestorePublished(const kafka::ConsumedRecord& own_signal, ChurnState& s) const {
  v1::ChurnRiskSignal signal;
  if (!signal.ParseFromString(own_signal.value) || signal.sequence() < s.published_sequence()) return false;
  s.set_published(true);
  s.set_published_sequence(signal.sequence());
  s.set_published_probability(signal.risk().probability());
  s.set_published_tier(signal.risk().tier());
  return true;
}

}  // namespace retention::churn
