#include "services/health-score/engine.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "libs/activity/activity.h"
#include "libs/proto/time_util.h"
#include "libs/stream/signal_id.h"
#include "services/health-score/scorecard.h"
#include "services/health-score/scoring.h"

namespace retention::health {
namespace {

using healthscore::HealthState;

// Usage this many days old makes the adoption explanation say so.
constexpr int kQuietDays = 7;
constexpr int kScoreDaysKept = activity::kDaysKept;

void RecordScore(HealthState& s, int32_t today, double score) {
  const int32_t tenths = static_cast<int32_t>(std::lround(score * 10));
  auto* scores = s.mutable_score_tenths();
  if (scores->empty()) {
    s.set_score_base_day(today);
    scores->Add(tenths);
    return;
  }
  const int32_t last_day = s.score_base_day() + scores->size() - 1;
  if (today < s.score_base_day()) return;
  if (today <= last_day) {
    scores->Set(today - s.score_base_day(), tenths);
    return;
  }
  // Days without an evaluation kept the last score.
  const int32_t last = scores->Get(scores->size() - 1);
  const int32_t gap = std::min(today - last_day - 1, kScoreDaysKept);
  if (today - last_day - 1 > kScoreDaysKept) {
    scores->Clear();
    s.set_score_base_day(today - gap);
  }
  for (int32_t i = 0; i < gap; ++i) scores->Add(last);
  scores->Add(tenths);
  const int32_t oldest = today - kScoreDaysKept + 1;
  if (s.score_base_day() < oldest) {
    const int32_t drop = std::min(scores->size(), oldest - s.score_base_day());
    scores->erase(scores->begin(), scores->begin() + drop);
    s.set_score_base_day(s.score_base_day() + drop);
  }
}

DailyScores Snapshots(const HealthState& s) {
  DailyScores daily;
  for (int i = 0; i < s.score_tenths_size(); ++i) daily[s.score_base_day() + i] = s.score_tenths(i) / 10.0;
  return daily;
}

// The silence rule that applies after `days` of silence, if any.
const v1::SilenceRule* SilenceRuleFor(const v1::ScorecardSet& set, std::optional<int32_t> days) {
  if (!days.has_value()) return nullptr;
  const v1::SilenceRule* found = nullptr;
  for (const v1::SilenceRule& r : set.silence_rules()) {
    if (*days >= r.after_days()) found = &r;
  }
  return found;
}

// Lowers the score to just below the band above the rule's, and says why.
void ApplySilenceRule(const v1::ScorecardSet& set, const v1::SilenceRule& rule, int32_t days, v1::AccountHealth* h) {
  const double below = rule.at_most() == v1::RED ? set.yellow_from() : set.green_from();
  const double ceiling = std::max(0.0, below - 1);
  if (h->score() <= ceiling) return;
  h->set_score(ceiling);
  h->set_capped_by(absl::StrCat("at most ", v1::HealthBand_Name(rule.at_most()), ": no activity for ", days, " days"));
}

bool OverrideActive(const HealthState& s, absl::Time at) {
  return s.has_override() && at < proto::FromTimestamp(s.override().expires_at());
}

std::string PayloadName(const v1::InteractionEvent& e) {
  const auto* field = e.GetDescriptor()->FindFieldByNumber(e.payload_case());
  return field == nullptr ? "event" : field->name();
}

}  // namespace

v1::AccountHealth Evaluate(const v1::ScorecardSet& scorecards, const HealthState& state, absl::Time now) {
  const activity::Activity& a = state.activity();
  const int32_t today = activity::DayOf(now);
  v1::AccountHealth h;
  h.set_account_id(state.account_id());
  h.set_scorecard_version(scorecards.version());
  *h.mutable_as_of() = proto::ToTimestamp(now);
  if (a.last_event_at() > 0) h.mutable_last_event_at()->set_seconds(a.last_event_at());
  const v1::Scorecard& card = SelectScorecard(scorecards, a.plan(), a.size());
  const MeasureValues measures = activity::ComputeMeasures(a, today);
  ScoreComponents(card, measures, &h);
  const std::optional<int32_t> quiet = activity::DaysSinceUsage(a, today);
  std::optional<double> adoption;
  for (v1::ComponentScore& c : *h.mutable_components()) {
    if (c.component() != v1::PRODUCT_ADOPTION) continue;
    if (c.has_data()) adoption = c.score();
    if (quiet.has_value() && *quiet >= kQuietDays) c.set_note(absl::StrCat("no product activity for ", *quiet, " days"));
  }
  const std::optional<int32_t> silent = activity::DaysSilent(a, today);
  if (silent.has_value()) h.set_days_silent(*silent);
  if (const v1::SilenceRule* rule = SilenceRuleFor(scorecards, silent)) ApplySilenceRule(scorecards, *rule, *silent, &h);
  if (OverrideActive(state, now)) ApplyOverride(state.override(), now, &h);
  h.set_band(BandFor(scorecards, h.score()));
  LoyaltyInputs loyalty;
  if (auto it = measures.find(v1::NPS_LATEST); it != measures.end()) loyalty.nps = static_cast<int>(it->second);
  if (auto it = measures.find(v1::CSAT_AVERAGE_90D); it != measures.end()) loyalty.csat = it->second;
  loyalty.adoption = adoption;
  loyalty.advocacy_actions = activity::AdvocacyActions(a, today);
  const auto [stage, why] = LoyaltyFor(loyalty);
  h.set_loyalty_stage(stage);
  h.set_loyalty_reason(why);
  for (v1::Trend& t : ComputeTrends(scorecards, Snapshots(state), today, h.score())) *h.add_trends() = std::move(t);
  return h;
}

absl::StatusOr<stream::Decoded<HealthInput>> HealthEngine::Decode(const kafka::ConsumedRecord& record) const {
  stream::Decoded<HealthInput> out;
  if (record.topic == settings_.overrides_topic) {
    v1::OverrideRecord o;
    if (!o.ParseFromString(record.value)) return absl::InvalidArgumentError("not a retention.v1.OverrideRecord");
    if (o.account_id().empty()) return absl::InvalidArgumentError("override record without account_id");
    if (!proto::IsValidTimestamp(o.recorded_at())) return absl::InvalidArgumentError("override record: recorded_at out of range");
    out.account = o.account_id();
    out.event_time = proto::FromTimestamp(o.recorded_at());
    out.input = std::move(o);
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

void HealthEngine::Reevaluate(HealthState& s, absl::Time now, const std::string& trigger_id,
                              const std::string& trigger_event_id, const std::string& reason, absl::Time triggered_at,
                              absl::Time received_at, stream::Emitted& out) const {
  const v1::ScorecardSet& set = settings_.scorecards;
  v1::AccountHealth health = Evaluate(set, s, now);
  RecordScore(s, activity::DayOf(now), health.score());
  s.set_evaluated_at_ms(absl::ToUnixMillis(now));
  const bool meaningful = !s.published() || health.band() != s.published_band() ||
                          health.loyalty_stage() != s.published_stage() ||
                          std::abs(health.score() - s.published_score()) >= set.publish_min_change();
  if (!meaningful || out.silent) return;
  v1::HealthSignal signal;
  signal.set_signal_id(stream::SignalId("hs", {s.account_id(), trigger_id, set.version()}));
  signal.set_account_id(s.account_id());
  signal.set_previous_score(s.published_score());
  signal.set_previous_band(s.published_band());
  signal.set_previous_stage(s.published_stage());
  signal.set_trigger_event_id(trigger_event_id);
  signal.set_trigger_reason(reason);
  *signal.mutable_triggered_at() = proto::ToTimestamp(triggered_at);
  *signal.mutable_published_at() = proto::ToTimestamp(now);
  s.set_published(true);
  s.set_published_sequence(out.NextSequence(s.published_sequence()));
  signal.set_sequence(s.published_sequence());
  s.set_published_score(health.score());
  s.set_published_band(health.band());
  s.set_published_stage(health.loyalty_stage());
  *signal.mutable_health() = std::move(health);
  out.Publish(settings_.health_topic, signal, received_at);
}

void HealthEngine::Apply(const stream::Decoded<HealthInput>& input, const kafka::ConsumedRecord&, absl::Time now,
                         HealthState& s, stream::Emitted& out) const {
  s.set_account_id(input.account);
  if (const auto* e = std::get_if<v1::InteractionEvent>(&input.input)) {
    activity::Apply(*e, now, s.mutable_activity());
    Reevaluate(s, now, e->event_id(), e->event_id(), absl::StrCat("event ", e->event_id(), " (", PayloadName(*e), ")"),
               input.event_time, proto::FromTimestamp(e->received_at()), out);
    return;
  }
  const auto& o = std::get<v1::OverrideRecord>(input.input);
  if (o.has_override()) {
    *s.mutable_override() = o.override();
  } else {
    s.clear_override();
  }
  s.set_override_command_id(o.command_id());
  const std::string reason =
      o.has_override() ? absl::StrCat("override to ", o.override().score(), " set by ", o.override().author())
                       : absl::StrCat("override cleared", o.cleared_by().empty() ? "" : " by ", o.cleared_by());
  Reevaluate(s, now, absl::StrCat("override:", o.command_id()), "", reason, input.event_time, input.event_time, out);
}

absl::Time HealthEngine::NextDue(const HealthState& s) const {
  if (s.activity().events() == 0 && !s.has_override()) return absl::InfiniteFuture();
  const absl::Time evaluated = absl::FromUnixMillis(s.evaluated_at_ms());
  absl::Time due = absl::InfiniteFuture();
  if (evaluated - absl::FromUnixSeconds(s.activity().last_event_at()) < activity::kTickFor) {
    due = activity::NextDailyTick(s.account_id(), evaluated);
  }
  if (OverrideActive(s, evaluated)) due = std::min(due, proto::FromTimestamp(s.override().expires_at()));
  return due;
}

void HealthEngine::Tick(absl::Time due, HealthState& s, stream::Emitted& out) const {
  const absl::Time before = absl::FromUnixMillis(s.evaluated_at_ms());
  std::string reason = "re-evaluated as time passed";
  if (OverrideActive(s, before) && !OverrideActive(s, due)) {
    reason = "override expired";
  } else if (auto silent = activity::DaysSilent(s.activity(), activity::DayOf(due)); silent && *silent >= kQuietDays) {
    reason = absl::StrCat("no activity for ", *silent, " days");
  }
  Reevaluate(s, due, absl::StrCat("time:", absl::ToUnixMillis(due)), "", reason, due, absl::InfinitePast(), out);
}

stream::AccountIndex HealthEngine::Index(const HealthState& s) const {
  v1::AccountHealth summary = Evaluate(settings_.scorecards, s, absl::FromUnixMillis(s.evaluated_at_ms()));
  summary.clear_components();
  stream::AccountIndex index;
  index.rankings["by_score"] = summary.score();
  index.summary = summary.SerializeAsString();
  return index;
}

bool HealthEngine::RestorePublished(const kafka::ConsumedRecord& own_signal, HealthState& s) const {
  v1::HealthSignal signal;
  if (!signal.ParseFromString(own_signal.value) || signal.sequence() < s.published_sequence()) return false;
  s.set_published(true);
  s.set_published_sequence(signal.sequence());
  s.set_published_score(signal.health().score());
  s.set_published_band(signal.health().band());
  s.set_published_stage(signal.health().loyalty_stage());
  return true;
}

}  // namespace retention::health
