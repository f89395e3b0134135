#include "services/health-score/engine.h"

#include <cmath>

#include "absl/strings/str_format.h"
#include "libs/pipeline/signal_id.h"
#include "libs/proto/time_util.h"
#include "services/health-score/scorecard.h"
#include "services/health-score/scoring.h"
#include "services/health-score/state.h"

namespace retention::health {
namespace {

void KeepRecentScores(healthscore::AccountState* state) {
  const int64_t oldest = DayOf(state->as_of_seconds()) - kDaysKept;
  auto* scores = state->mutable_daily_scores();
  for (auto it = scores->begin(); it != scores->end();) {
    it = it->first <= oldest ? scores->erase(it) : std::next(it);
  }
}

}  // namespace

std::string SignalId(const std::string& account_id, const std::string& event_id, const std::string& version) {
  return pipeline::SignalId("hs", {account_id, event_id, version});
}

v1::AccountHealth Evaluate(const v1::ScorecardSet& scorecards, const healthscore::AccountState& state,
                           const std::optional<v1::HealthOverride>& override, absl::Time now) {
  v1::AccountHealth h;
  h.set_account_id(state.account_id());
  h.set_scorecard_version(scorecards.version());
  h.mutable_as_of()->set_seconds(state.as_of_seconds());
  const v1::Scorecard& card = SelectScorecard(scorecards, state.plan(), state.size());
  const MeasureValues measures = ComputeMeasures(state);
  ScoreComponents(card, measures, &h);
  if (override.has_value()) ApplyOverride(*override, now, &h);
  h.set_band(BandFor(scorecards, h.score()));
  std::optional<double> adoption;
  for (const v1::ComponentScore& c : h.components()) {
    if (c.component() == v1::PRODUCT_ADOPTION && c.has_data()) adoption = c.score();
  }
  const auto [stage, why] = LoyaltyFor(LoyaltyInputsFrom(state, measures, adoption));
  h.set_loyalty_stage(stage);
  h.set_loyalty_reason(why);
  const DailyScores daily(state.daily_scores().begin(), state.daily_scores().end());
  for (v1::Trend& t : ComputeTrends(scorecards, daily, DayOf(state.as_of_seconds()), h.score())) {
    *h.add_trends() = std::move(t);
  }
  return h;
}

absl::StatusOr<BatchResult> HealthEngine::Process(const std::vector<kafka::ConsumedRecord>& records, absl::Time now) {
  BatchResult result;
  std::vector<std::pair<const kafka::ConsumedRecord*, v1::InteractionEvent>> events;
  std::vector<std::string> accounts;
  for (const kafka::ConsumedRecord& r : records) {
    v1::InteractionEvent e;
    if (!e.ParseFromString(r.value) || e.account_id().empty()) {
      ++result.unreadable;
      continue;
    }
    accounts.push_back(e.account_id());
    events.emplace_back(&r, std::move(e));
  }
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  if (accounts.empty()) return result;
  auto loaded = store_->Load(accounts);
  if (!loaded.ok()) return loaded.status();

  const v1::ScorecardSet& set = settings_.scorecards;
  std::map<std::string, v1::AccountHealth> latest;
  for (auto& [record, event] : events) {
    StoredAccount& account = (*loaded)[event.account_id()];
    healthscore::AccountState& state = account.state;
    if (!ApplyEvent(event, record->partition, record->offset, &state)) {
      ++result.redelivered;
      continue;
    }
    ++result.applied;
    v1::AccountHealth health = Evaluate(set, state, account.override, now);
    (*state.mutable_daily_scores())[DayOf(state.as_of_seconds())] = health.score();
    KeepRecentScores(&state);
    const bool meaningful = !state.published() || health.band() != state.published_band() ||
                            health.loyalty_stage() != state.published_stage() ||
                            std::abs(health.score() - state.published_score()) >= set.publish_min_change();
    if (meaningful) {
      v1::HealthSignal signal;
      signal.set_signal_id(SignalId(state.account_id(), event.event_id(), set.version()));
      signal.set_account_id(state.account_id());
      signal.set_previous_score(state.published_score());
      signal.set_previous_band(state.published_band());
      signal.set_previous_stage(state.published_stage());
      signal.set_trigger_event_id(event.event_id());
      *signal.mutable_published_at() = proto::ToTimestamp(now);
      *signal.mutable_health() = health;
      state.set_published(true);
      state.set_published_score(health.score());
      state.set_published_band(health.band());
      state.set_published_stage(health.loyalty_stage());
      result.trigger_received_at.push_back(proto::FromTimestamp(event.received_at()));
      result.signals.push_back({settings_.health_topic, state.account_id(), signal.SerializeAsString(),
                                {{"content-type", "application/x-protobuf"}, {"signal-id", signal.signal_id()}}});
    }
    health.clear_components();
    latest[state.account_id()] = std::move(health);
  }
  for (auto& [account, health] : latest) {
    result.states.push_back(std::move((*loaded)[account].state));
    result.summaries.push_back(std::move(health));
  }
  return result;
}

}  // namespace retention::health
