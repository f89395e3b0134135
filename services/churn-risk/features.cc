#include "services/churn-risk/features.h"

#include <algorithm>

#include "libs/activity/activity.h"

namespace retention::churn {
namespace {

// High switching cost: many seats or a large contract. With low sentiment, such an
// account stays only until its contract ends ("loyal on paper").
bool HighSwitchingCost(const activity::Activity& a) { return a.seats() >= 100 || a.arr() >= 100'000; }

constexpr int kCompetitorDays = 180;
constexpr int kMaxLossReasons = 20;

}  // namespace

void ApplyEvent(const v1::InteractionEvent& event, absl::Time now, churnrisk::ChurnState* state) {
  state->set_account_id(event.account_id());
  activity::Apply(event, now, state->mutable_activity());
  const int32_t today = activity::DayOf(now);
  const int32_t day = std::min(activity::DayOfSeconds(event.occurred_at().seconds()), today);
  if (event.has_win_loss()) {
    const auto& w = event.win_loss();
    if (!w.competitor().empty() && day > today - kCompetitorDays) state->add_competitor_days(day);
    for (const std::string& reason : w.reasons()) state->add_loss_reasons(reason.substr(0, 128));
    auto* reasons = state->mutable_loss_reasons();
    if (reasons->size() > kMaxLossReasons) reasons->DeleteSubrange(0, reasons->size() - kMaxLossReasons);
    if (w.outcome() == v1::WinLossOutcome::CHURNED) state->set_churned(true);
    if (w.outcome() == v1::WinLossOutcome::RENEWED) state->set_churned(false);
  }
  auto* days = state->mutable_competitor_days();
  days->erase(std::remove_if(days->begin(), days->end(), [&](int32_t d) { return d <= today - kCompetitorDays; }),
              days->end());
}

void ApplyHealth(const v1::HealthSignal& signal, churnrisk::ChurnState* state) {
  state->set_account_id(signal.account_id());
  state->set_has_health(true);
  state->set_health_score(signal.health().score());
  state->set_health_change_30d(0);
  for (const v1::Trend& t : signal.health().trends()) {
    if (t.window_days() == 30 && t.has_data()) state->set_health_change_30d(t.change());
  }
}

FeatureValues ComputeFeatures(const churnrisk::ChurnState& state, int32_t today) {
  const activity::Activity& a = state.activity();
  const activity::MeasureValues m = activity::ComputeMeasures(a, today);
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
  if (auto silent = activity::DaysSilent(a, today)) f[v1::CHURN_FEATURE_DAYS_SILENT] = *silent;
  if (auto v = measure(v1::ESCALATIONS_90D)) f[v1::CHURN_FEATURE_ESCALATIONS_90D] = *v;
  if (a.has_nps()) f[v1::CHURN_FEATURE_NPS_DETRACTOR] = a.nps() <= 6 ? 1 : 0;
  if (auto v = measure(v1::CHAMPION_LEFT_90D)) f[v1::CHURN_FEATURE_CHAMPION_LEFT_90D] = *v;
  if (auto v = measure(v1::ROLES_COVERED)) f[v1::CHURN_FEATURE_STAKEHOLDER_ROLES] = *v;
  f[v1::CHURN_FEATURE_DAYS_TO_RENEWAL] =
      a.renewal_at() > 0 ? static_cast<double>(activity::DayOfSeconds(a.renewal_at()) - today) : 365;
  if (auto v = measure(v1::PAYMENT_FAILURES_90D)) f[v1::CHURN_FEATURE_PAYMENT_FAILURES_90D] = *v;
  if (auto v = measure(v1::SEAT_CHANGE_90D)) f[v1::CHURN_FEATURE_SEAT_CHANGE_90D] = *v;
  f[v1::CHURN_FEATURE_COMPETITOR_MENTIONS] = static_cast<double>(
      std::count_if(state.competitor_days().begin(), state.competitor_days().end(),
                    [&](int32_t d) { return d > today - kCompetitorDays; }));
  const bool low_sentiment = (a.has_nps() && a.nps() <= 6) ||
                             (measure(v1::CSAT_AVERAGE_90D).has_value() && *measure(v1::CSAT_AVERAGE_90D) < 3);
  f[v1::CHURN_FEATURE_STUCK] = HighSwitchingCost(a) && low_sentiment ? 1 : 0;
  return f;
}

}  // namespace retention::churn
