#include "tools/train/replay.h"

#include <algorithm>
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
namespace {

// An accepted event, kept serialized until its turn comes.
struct Pending {
  absl::Time at;
  std::string account;
  std::string bytes;
};

}  // namespace

absl::StatusOr<ReplayResult> ReplayHistory(std::istream& jsonl, const v1::ScorecardSet& scorecards,
                                           const v1::ChurnModel& model, const ReplayOptions& options) {
  std::vector<absl::Time> cuts = options.cuts;
  if (!std::is_sorted(cuts.begin(), cuts.end())) return absl::InvalidArgumentError("cuts must be in time order");
  const absl::Time last_cut = cuts.empty() ? absl::InfiniteFuture() : cuts.back();

  ReplayResult result;
  std::vector<Pending> pending;
  std::set<std::string> seen;
  std::string line;
  for (int number = 1; std::getline(jsonl, line); ++number) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    v1::InteractionEvent event;
    if (!google::protobuf::util::JsonStringToMessage(std::string(text), &event).ok() || event.event_id().empty() ||
        event.account_id().empty() || event.payload_case() == v1::InteractionEvent::PAYLOAD_NOT_SET) {
      ++result.unreadable_lines;
      continue;
    }
    if (!event.has_occurred_at()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, ": event ", event.event_id().substr(0, 64),
                                                     " has no occurred_at: its place in time is unknown"));
    }
    if (!seen.insert(event.event_id()).second) {
      ++result.repeated;  // ingest publishes an event id once
      continue;
    }
    const absl::Time at = proto::FromTimestamp(event.occurred_at());
    if (at >= last_cut) {
      ++result.after_last_cut;
      continue;
    }
    pending.push_back({at, event.account_id(), event.SerializeAsString()});
  }
  // Stable: events of the same instant keep the file's order, as a partition keeps it.
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) { return a.at < b.at; });
  if (cuts.empty()) cuts.push_back(pending.empty() ? absl::InfinitePast() : pending.back().at);

  const health::HealthEngine health_engine({scorecards, "v1", "overrides", "health"});
  const churn::ChurnEngine churn_engine({model, "v1", "health", "churn"});
  stream::LocalRunner<health::HealthEngine> health(&health_engine);
  stream::LocalRunner<churn::ChurnEngine> churn(&churn_engine);
  int64_t v1_offset = 0;
  int64_t health_offset = 0;
  // Health signals go to churn-risk after the events of their batch, as on the topic.
  const auto to_churn = [&](std::vector<kafka::ConsumedRecord> batch, const stream::FoldResult& scored) {
    for (const kafka::OutgoingRecord& signal : scored.signals) {
      batch.push_back({"health", 0, health_offset++, signal.key, signal.value, {}, 0});
    }
    result.health_signals += static_cast<int64_t>(scored.signals.size());
    churn.Feed(batch);
  };
  std::vector<kafka::ConsumedRecord> batch;
  const auto flush = [&] {
    if (batch.empty()) return;
    const stream::FoldResult scored = health.Feed(batch);
    to_churn(std::move(batch), scored);
    batch.clear();
  };

  size_t next = 0;
  for (const absl::Time cut : cuts) {
    // With no cut given, the one cut is the latest event, which is folded too.
    const bool inclusive = options.cuts.empty();
    for (; next < pending.size() && (pending[next].at < cut || inclusive); ++next) {
      batch.push_back({"v1", 0, v1_offset++, std::move(pending[next].account), std::move(pending[next].bytes), {}, 0});
      ++result.events;
      if (static_cast<int>(batch.size()) >= options.batch_size) flush();
    }
    flush();
    Snapshot snapshot;
    snapshot.at = cut;
    if (cut != absl::InfinitePast()) {
      // Time passes to the cut: silence grows, windows slide, as they would live.
      to_churn({}, health.AdvanceTo(cut));
      churn.AdvanceTo(cut);
    }
    for (const auto& [account, bytes] : churn.states()) snapshot.churn[account].ParseFromString(bytes);
    for (const auto& [account, bytes] : health.states()) {
      healthscore::HealthState state;
      state.ParseFromString(bytes);
      snapshot.health[account] = health::Evaluate(scorecards, state, cut);
    }
    result.cuts.push_back(std::move(snapshot));
  }
  return result;
}

}  // namespace retention::train
