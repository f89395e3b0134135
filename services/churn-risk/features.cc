#include "services/churn-risk/features.h"

#include <algorithm>

#include "services/health-score/state.h"

namespace retention::churn {
namespace {

using health::DayOf;

// High switching cost: many seats or a large contract. With low sentiment, such an
// account stays only until its contract ends ("loyal on paper").
bool HighSwitchingCost(const healthscore::AccountState& a) { return a.seats() >= 100 || a.arr() >= 100'000; }

}  // namespace

bool ApplyEvent(const v1::InteractionEvent& event, int32_t partition, int64_t offset,
                churnrisk::ChurnAccountState* state) {
  if (!health::ApplyEvent(event, partition, offset, state->mutable_activity())) return false;
  const int64_t day = DayOf(event.occurred_at().seconds());
  switch (event.payload_case()) {
    case v1::InteractionEvent::kProductUsage:
    case v1::InteractionEvent::kEngagement:
      state->set_last_activity_day(std::max(state->last_activity_day(), day));
      break;
    case v1::InteractionEvent::kWinLoss: {
      const auto& w = event.win_loss();
      if (!w.competitor().empty()) state->add_competitor_days(day);
      for (const std::string& reason : w.reasons()) state->add_loss_reasons(reason);
      auto* reasons = state->mutable_loss_reasons();
      if (reasons->size() > 20) reasons->DeleteSubrange(0, reasons->size() - 20);
      if (w.outcome() == v1::WinLossOutcome::CHURNED) state->set_churned(true);
      if (w.outcome() == v1::WinLossOutcome::RENEWED) state->set_churned(false);
      break;
    }
    case v1::InteractionEvent::kAccountProfile:
      state->set_strategic_importance(event.account_profile().strategic_importance());
      break;
    default:
      break;
  }
  const int64_t today = DayOf(state->activity().as_of_seconds());
  auto* days = state->mutable_competitor_days();
  days->erase(std::remove_if(days->begin(), days->end(), [&](int64_t d) { return d <= today - 180; }), days->end());
  return true;
}

bool ApplyHealth(const v1::HealthSignal& signal, int32_t partition, int64_t offset,
                 churnrisk::ChurnAccountState* state) {
  auto& applied = *state->mutable_health_applied_offsets();
  if (auto it = applied.find(partition); it != applied.end() && offset <= it->second) return false;
  applied[partition] = offset;
  state->mutable_activity()->set_account_id(signal.account_id());
  state->set_has_health(true);
  state->set_health_score(signal.health().score());
  state->set_health_change_30d(0);
  for (const v1::Trend& t : signal.health().trends()) {
    if (t.window_days() == 30 && t.has_data()) state->set_health_change_30d(t.change());
  }
  return true;
}

FeatureValues ComputeFeatures(const churnrisk::ChurnAccountState& state) {
  const healthscore::AccountState& a = state.activity();
  const health::MeasureValues m = health::ComputeMeasures(a);
  const auto measure = [&](v1::HealthMeasure key) -> std::optional<double> {
    const auto it = m.find(key);
    return it == m.end() ? std::nullopt : std::optional<double>(it->second);
  };
  FeatureValues f;
  if (state.has_health()) {
    f[v1::CHURN_FEATURE_HEALTH_SCORE] = state.health_score();
    f[v1::CHURN_FEATURE_HEALTH_CHANGE_30D] = state.health_change_30d();
  }
  if (auto v = measure(v1::USAGE_CHANGE_30D)) f[v1::CHURN_FEATURE_USAGE_CHANGE_30D] = *v;
  const int64_t today = DayOf(a.as_of_seconds());
  if (state.last_activity_day() > 0) f[v1::CHURN_FEATURE_DAYS_SILENT] = static_cast<double>(today - state.last_activity_day());
  if (auto v = measure(v1::ESCALATIONS_90D)) f[v1::CHURN_FEATURE_ESCALATIONS_90D] = *v;
  if (a.has_nps()) f[v1::CHURN_FEATURE_NPS_DETRACTOR] = a.latest_nps() <= 6 ? 1 : 0;
  if (auto v = measure(v1::CHAMPION_LEFT_90D)) f[v1::CHURN_FEATURE_CHAMPION_LEFT_90D] = *v;
  if (auto v = measure(v1::ROLES_COVERED)) f[v1::CHURN_FEATURE_STAKEHOLDER_ROLES] = *v;
  f[v1::CHURN_FEATURE_DAYS_TO_RENEWAL] = a.renewal_seconds() > 0 ? static_cast<double>(DayOf(a.renewal_seconds()) - today) : 365;
  if (auto v = measure(v1::PAYMENT_FAILURES_90D)) f[v1::CHURN_FEATURE_PAYMENT_FAILURES_90D] = *v;
  if (auto v = measure(v1::SEAT_CHANGE_90D)) f[v1::CHURN_FEATURE_SEAT_CHANGE_90D] = *v;
  f[v1::CHURN_FEATURE_COMPETITOR_MENTIONS] = static_cast<double>(state.competitor_days_size());
  const bool low_sentiment = (a.has_nps() && a.latest_nps() <= 6) ||
                             (measure(v1::CSAT_AVERAGE_90D).has_value() && *measure(v1::CSAT_AVERAGE_90D) < 3);
  f[v1::CHURN_FEATURE_STUCK] = HighSwitchingCost(a) && low_sentiment ? 1 : 0;
  return f;
}

}  // namespace retention::churn
