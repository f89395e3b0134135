// Replays a history of interaction events (JSON lines) through health-score's and
// churn-risk's own engines in one process, with in-memory stores: the states the
// streaming services would hold at the end of the history, without Kafka or Redis.
#pragma once

#include <istream>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "retention/v1/churn_risk.pb.h"
#include "retention/v1/health.pb.h"
#include "services/churn-risk/churn_state.pb.h"

namespace retention::train {

struct ReplayResult {
  std::map<std::string, churnrisk::ChurnAccountState> states;  // by account
  int64_t events = 0;
  int64_t unreadable_lines = 0;  // not an InteractionEvent: skipped, as ingest would
  int64_t health_signals = 0;    // what health-score would have published
};

// Health signals reach churn-risk as they would on the health topic: after the
// event that caused them, with health-score's hysteresis.
absl::StatusOr<ReplayResult> ReplayHistory(std::istream& jsonl, const v1::ScorecardSet& scorecards,
                                           const v1::ChurnModel& model, int batch_size = 5000);

}  // namespace retention::train
