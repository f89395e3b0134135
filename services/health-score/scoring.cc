#include "services/health-score/scoring.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/proto/time_util.h"

namespace retention::health {

double StepScore(const v1::MeasureRule& rule, double value) {
  double score = rule.steps(0).score();
  for (const v1::ScoreStep& step : rule.steps()) {
    if (value >= step.from()) score = step.score();
  }
  return score;
}

void ScoreComponents(const v1::Scorecard& card, const MeasureValues& values, v1::AccountHealth* out) {
  out->clear_components();
  out->set_segment(card.segment());
  double weight_with_data = 0;
  for (const v1::ComponentRule& rule : card.components()) {
    v1::ComponentScore* c = out->add_components();
    c->set_component(rule.component());
    c->set_weight(rule.weight());
    double sum = 0;
    double weights = 0;
    for (const v1::MeasureRule& m : rule.measures()) {
      v1::MeasureScore* ms = c->add_measures();
      ms->set_measure(m.measure());
      ms->set_weight(m.weight());
      const auto it = values.find(m.measure());
      if (it == values.end()) continue;
      ms->set_has_data(true);
      ms->set_value(it->second);
      ms->set_score(StepScore(m, it->second));
      sum += ms->score() * m.weight();
      weights += m.weight();
    }
    if (weights > 0) {
      c->set_has_data(true);
      c->set_score(sum / weights);
      weight_with_data += rule.weight();
    }
  }
  double total = 0;
  for (v1::ComponentScore& c : *out->mutable_components()) {
    if (!c.has_data()) {
      c.set_note(absl::StrFormat("no data: its weight %g is shared among the other components", c.weight()));
      continue;
    }
    c.set_effective_weight(c.weight() / weight_with_data);
    c.set_contribution(c.score() * c.effective_weight());
    total += c.contribution();
  }
  out->set_computed_score(total);
  out->set_score(total);
}

v1::HealthBand BandFor(const v1::ScorecardSet& set, double score) {
  if (score >= set.green_from()) return v1::GREEN;
  if (score >= set.yellow_from()) return v1::YELLOW;
  return v1::RED;
}

void ApplyOverride(const v1::HealthOverride& override, absl::Time now, v1::AccountHealth* out) {
  if (now >= proto::FromTimestamp(override.expires_at())) {
    out->clear_override();
    out->set_score(out->computed_score());
    return;
  }
  *out->mutable_override() = override;
  out->set_score(override.score());
}

std::vector<v1::Trend> ComputeTrends(const v1::ScorecardSet& set, const DailyScores& daily, int64_t today,
                                     double score_now) {
  std::vector<v1::Trend> trends;
  for (const int32_t window : set.trend_windows_days()) {
    v1::Trend& t = trends.emplace_back();
    t.set_window_days(window);
    // The latest snapshot on or before the window's start.
    auto it = daily.upper_bound(today - window);
    if (it == daily.begin()) continue;
    --it;
    t.set_has_data(true);
    t.set_change(score_now - it->second);
    t.set_points_per_week(t.change() / window * 7.0);
    if (std::abs(t.change()) < set.stable_within()) {
      t.set_direction(v1::STABLE);
    } else {
      t.set_direction(t.change() > 0 ? v1::IMPROVING : v1::DECLINING);
    }
  }
  return trends;
}

std::pair<v1::LoyaltyStage, std::string> LoyaltyFor(const LoyaltyInputs& in) {
  v1::LoyaltyStage stage;
  std::string why;
  if (in.nps.has_value()) {
    const int nps = *in.nps;
    stage = nps <= 3 ? v1::AVERSION : nps <= 6 ? v1::DISLIKE : nps <= 8 ? v1::SATISFACTION : v1::LIKE;
    why = absl::StrCat("NPS ", nps);
  } else if (in.csat.has_value()) {
    const double csat = *in.csat;
    stage = csat < 2 ? v1::AVERSION : csat < 3 ? v1::DISLIKE : csat < 4 ? v1::SATISFACTION : v1::LIKE;
    why = absl::StrFormat("CSAT %.1f", csat);
  } else if (in.adoption.has_value()) {
    stage = *in.adoption < 40 ? v1::DISLIKE : v1::SATISFACTION;
    why = absl::StrFormat("no survey; adoption %.0f", *in.adoption);
  } else {
    stage = v1::SATISFACTION;
    why = "no survey or usage yet";
  }
  if (in.adoption.has_value() && *in.adoption < 40 && stage > v1::SATISFACTION) {
    stage = v1::SATISFACTION;
    absl::StrAppendFormat(&why, "; capped by low adoption %.0f", *in.adoption);
  }
  if (in.advocacy_actions > 0) {
    const int steps = std::min(in.advocacy_actions, 2);
    stage = static_cast<v1::LoyaltyStage>(std::min<int>(v1::CHAMPION, stage + steps));
    absl::StrAppend(&why, "; ", in.advocacy_actions, " advocacy action(s) in 180 days");
  } else if (stage == v1::LIKE) {
    absl::StrAppend(&why, "; no advocacy yet, so not a champion");
  }
  return {stage, why};
}

}  // namespace retention::health
