// Replays a history of interaction events (JSON lines) through health-score's and
// churn-risk's own engines in one process (the stream runner, no Kafka or Redis): the
// states the streaming services would hold at the end of the history, or as of a
// chosen time, with the clock moved there so that silence counts as it would live.
#pragma once

#include <istream>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "retention/v1/churn_risk.pb.h"
#include "retention/v1/health.pb.h"
#include "services/churn-risk/churn_state.pb.h"

namespace retention::train {

struct ReplayResult {
  std::map<std::string, churnrisk::ChurnState> states;  // by account
  absl::Time as_of;             // the time the states are as of
  int64_t events = 0;
  int64_t unreadable_lines = 0;  // not an InteractionEvent: skipped, as ingest would
  int64_t repeated = 0;          // event ids seen before: dropped, as ingest would
  int64_t after_as_of = 0;       // events at or after as_of: not folded
  int64_t health_signals = 0;    // what health-score would have published
};

struct ReplayOptions {
  // Fold only events before this time, and move the clock to it (features as of it).
  // Unset: to the latest event.
  std::optional<absl::Time> as_of;
  int batch_size = 5000;
};

// Health signals reach churn-risk as they would on the health topic: after the events
// of their batch, with health-score's hysteresis. An event without occurred_at is
// refused (INVALID_ARGUMENT naming the line): its place in time is unknown.
absl::StatusOr<ReplayResult> ReplayHistory(std::istream& jsonl, const v1::ScorecardSet& scorecards,
                                           const v1::ChurnModel& model, const ReplayOptions& options = {});

}  // namespace retention::train
