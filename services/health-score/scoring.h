// The health arithmetic, free of storage and transport: measure values in, an explained
// score out. Every function here is pure and unit-tested with worked examples.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "retention/v1/health.pb.h"

namespace retention::health {

// The measures an account has data for, in each measure's unit.
using MeasureValues = std::map<v1::HealthMeasure, double>;

// The score of the last step whose `from` the value reaches; below the first step, the
// first step's score.
double StepScore(const v1::MeasureRule& rule, double value);

// Scores every component of `card` and their weighted mean into `out` (computed_score,
// score, components). A measure without data is left out of its component; a component
// without any is left out of the mean and its weight shared among the others in
// proportion, which its note says.
void ScoreComponents(const v1::Scorecard& card, const MeasureValues& values, v1::AccountHealth* out);

v1::HealthBand BandFor(const v1::ScorecardSet& set, double score);

// Applies `override` to `out` if it has not expired at `now` (sets score and override).
void ApplyOverride(const v1::HealthOverride& override, absl::Time now, v1::AccountHealth* out);

// Daily score snapshots: day number (days since the Unix epoch) -> score that day.
using DailyScores = std::map<int64_t, double>;

// For each window: the change from the latest snapshot on or before `today - window`
// to `score_now`, its direction and velocity.
std::vector<v1::Trend> ComputeTrends(const v1::ScorecardSet& set, const DailyScores& daily, int64_t today,
                                     double score_now);

struct LoyaltyInputs {
  std::optional<int> nps;          // latest NPS answer, 0-10
  std::optional<double> csat;      // mean CSAT, 1-5
  std::optional<double> adoption;  // the PRODUCT_ADOPTION component's score, 0-100
  int advocacy_actions = 0;        // reviews, references, case studies, referrals, mentions (180 days)
};

// The stage on the loyalty spectrum and why. Sentiment sets the base (NPS, else CSAT,
// else adoption); low adoption caps it at SATISFACTION (they say they like it but do
// not use it); each advocacy action moves it one step up, at most two. CHAMPION needs at
// least one advocacy action: a satisfied or even enthusiastic customer is not yet one.
std::pair<v1::LoyaltyStage, std::string> LoyaltyFor(const LoyaltyInputs& inputs);

}  // namespace retention::health
