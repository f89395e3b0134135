// The account activity model shared by health-score and churn-risk: folding canonical
// events into an Activity, and reading measures out of it as of a given day. Absence
// is data: an account that used the product and went quiet reads as inactive (no
// active users, no breadth, usage down 100%), unlike one that never sent usage, whose
// adoption simply has no data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "libs/activity/activity.pb.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"

namespace retention::activity {

inline constexpr int kDaysKept = 91;
inline constexpr int kAdvocacyDaysKept = 180;
inline constexpr int kMaxFeatures = 64;
inline constexpr int kMaxStakeholders = 50;
// How long an NPS answer counts.
inline constexpr int kNpsFreshDays = 180;

// Days since the Unix epoch (UTC) of `t`, clamped to the days of the years 1-9999 (what a
// Timestamp can hold): a corrupt stored time cannot make day arithmetic overflow.
inline constexpr int32_t kFirstDay = -719'162;   // 0001-01-01
inline constexpr int32_t kLastDay = 2'932'896;   // 9999-12-31
int32_t DayOf(absl::Time t);
int32_t DayOfSeconds(int64_t unix_seconds);

// What folding one event dropped to stay within the state's caps.
struct FoldNotes {
  int dropped_stakeholders = 0;
  int dropped_features = 0;
};

// Folds `event` into `activity`; `now` is the folding service's clock (windows are kept
// relative to it). Events older than the windows still update what they can
// (latest facts, last days seen).
FoldNotes Apply(const v1::InteractionEvent& event, absl::Time now, Activity* activity);

// Drops what fell out of the windows as of `today` (folding does it too).
void Prune(int32_t today, Activity* activity);

// The measures the activity has data for, as of `today`.
using MeasureValues = std::map<v1::HealthMeasure, double>;
MeasureValues ComputeMeasures(const Activity& activity, int32_t today);

// Days since the last product usage or engagement as of `today`; nullopt if neither
// ever happened.
std::optional<int32_t> DaysSilent(const Activity& activity, int32_t today);
// Days since the last product usage; nullopt if never.
std::optional<int32_t> DaysSinceUsage(const Activity& activity, int32_t today);

// Advocacy actions within 180 days of `today`.
int AdvocacyActions(const Activity& activity, int32_t today);

// The first daily re-evaluation of `account` after `after`. Each account has its own
// time of day, so that a million accounts do not all come due at midnight.
absl::Time NextDailyTick(const std::string& account, absl::Time after);

// How long after its last event an account keeps being re-evaluated daily.
inline constexpr absl::Duration kTickFor = absl::Hours(24 * 400);

}  // namespace retention::activity
