#include "tools/train/replay.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "libs/proto/time_util.h"
#include "libs/stream/local_runner.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/engine.h"
#include "services/health-score/engine.h"

namespace retention::train {

absl::StatusOr<ReplayResult> ReplayHistory(std::istream& jsonl, const v1::ScorecardSet& scorecards,
                                           const v1::ChurnModel& model, const ReplayOptions& options) {
  const health::HealthEngine health_engine({scorecards, "v1", "overrides", "health"});
  const churn::ChurnEngine churn_engine({model, "v1", "health", "churn"});
  stream::LocalRunner<health::HealthEngine> health(&health_engine);
  stream::LocalRunner<churn::ChurnEngine> churn(&churn_engine);

  ReplayResult result;
  int64_t v1_offset = 0;
  int64_t health_offset = 0;
  std::set<std::string> seen;
  absl::Time latest = absl::InfinitePast();
  std::vector<kafka::ConsumedRecord> batch;
  const auto flush = [&] {
    if (batch.empty()) return;
    const stream::FoldResult scored = health.Feed(batch);
    for (const kafka::OutgoingRecord& signal : scored.signals) {
      batch.push_back({"health", 0, health_offset++, signal.key, signal.value, {}, 0});
    }
    result.health_signals += static_cast<int64_t>(scored.signals.size());
    churn.Feed(batch);
    batch.clear();
  };
  std::string line;
  for (int number = 1; std::getline(jsonl, line); ++number) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    v1::InteractionEvent event;
    if (!google::protobuf::util::JsonStringToMessage(std::string(text), &event).ok() || event.account_id().empty() ||
        event.payload_case() == v1::InteractionEvent::PAYLOAD_NOT_SET) {
      ++result.unreadable_lines;
      continue;
    }
    if (!event.has_occurred_at()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, ": event ", event.event_id().substr(0, 64),
                                                     " has no occurred_at: its place in time is unknown"));
    }
    if (!event.event_id().empty() && !seen.insert(event.event_id()).second) {
      ++result.repeated;  // ingest publishes an event id once
      continue;
    }
    const absl::Time at = proto::FromTimestamp(event.occurred_at());
    if (options.as_of.has_value() && at >= *options.as_of) {
      ++result.after_as_of;
      continue;
    }
    latest = std::max(latest, at);
    ++result.events;
    batch.push_back({"v1", 0, v1_offset++, event.account_id(), event.SerializeAsString(), {}, 0});
    if (static_cast<int>(batch.size()) >= options.batch_size) flush();
  }
  flush();
  result.as_of = options.as_of.value_or(latest);
  if (result.as_of != absl::InfinitePast()) {
    // Time passes to as_of: silence grows, windows slide, as they would live.
    const stream::FoldResult ticked = health.AdvanceTo(result.as_of);
    std::vector<kafka::ConsumedRecord> signals;
    for (const kafka::OutgoingRecord& signal : ticked.signals) {
      signals.push_back({"health", 0, health_offset++, signal.key, signal.value, {}, 0});
    }
    result.health_signals += static_cast<int64_t>(signals.size());
    churn.Feed(signals);
    churn.AdvanceTo(result.as_of);
  }
  for (const auto& [account, bytes] : churn.states()) result.states[account].ParseFromString(bytes);
  return result;
}

}  // namespace retention::train
