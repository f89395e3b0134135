// Replays a history of interaction events (JSON lines) through health-score's and
// churn-risk's own engines in one process (the stream runner, no Kafka or Redis): the
// states the streaming services would hold at chosen moments (cuts), with the clock
// moved to each so that silence counts as it would live.
#pragma once

#include <istream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "retention/v1/churn_risk.pb.h"
#include "retention/v1/health.pb.h"
#include "services/churn-risk/churn_state.pb.h"

namespace retention::train {

// What the services know at one moment, from the events before it.
struct Snapshot {
  absl::Time at;
  std::map<std::string, churnrisk::ChurnState> churn;  // churn-risk's state, by account
  std::map<std::string, v1::AccountHealth> health;     // health-score's answer at `at`, by account
};

struct ReplayResult {
  std::vector<Snapshot> cuts;     // one per ReplayOptions::cuts, in its order
  int64_t events = 0;             // folded before the last cut
  int64_t unreadable_lines = 0;   // not an InteractionEvent ingest would accept: skipped
  int64_t repeated = 0;           // event ids seen before: dropped, as ingest would
  int64_t after_last_cut = 0;     // events at or after the last cut: not folded
  int64_t health_signals = 0;     // what health-score would have published
};

struct ReplayOptions {
  // The moments to take the states at, each from the events before it. Empty: one
  // cut at the latest event, with every event folded.
  std::vector<absl::Time> cuts;
  int batch_size = 5000;
};

// Events are folded in time order whatever the file's order (the generator writes
// chunks of accounts, each in time order), so that daily re-evaluations, snapshots and
// trends happen as they would have for services that lived through the history.
// Health signals reach churn-risk as they would on the health topic: after the events
// of their batch, with health-score's hysteresis. An event without occurred_at is
// refused (INVALID_ARGUMENT naming the line): its place in time is unknown.
absl::StatusOr<ReplayResult> ReplayHistory(std::istream& jsonl, const v1::ScorecardSet& scorecards,
                                           const v1::ChurnModel& model, const ReplayOptions& options = {});

}  // namespace retention::train
