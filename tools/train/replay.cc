#include "tools/train/replay.h"

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/engine.h"
#include "services/churn-risk/memory_store.h"
#include "services/health-score/engine.h"
#include "services/health-score/memory_store.h"

namespace retention::train {

absl::StatusOr<ReplayResult> ReplayHistory(std::istream& jsonl, const v1::ScorecardSet& scorecards,
                                           const v1::ChurnModel& model, int batch_size) {
  health::InMemoryHealthStore health_store;
  churn::InMemoryChurnStore churn_store;
  health::EngineSettings health_settings;
  health_settings.scorecards = scorecards;
  churn::EngineSettings churn_settings;
  churn_settings.model = model;
  health::HealthEngine health_engine(health_settings, &health_store);
  churn::ChurnEngine churn_engine(churn_settings, &churn_store);

  ReplayResult result;
  int64_t v1_offset = 0;
  int64_t health_offset = 0;
  std::vector<kafka::ConsumedRecord> batch;
  const auto flush = [&]() -> absl::Status {
    if (batch.empty()) return absl::OkStatus();
    auto scored = health_engine.Process(batch, absl::Now());
    if (!scored.ok()) return scored.status();
    for (const kafka::OutgoingRecord& signal : scored->signals) {
      batch.push_back({churn_settings.health_topic, 0, health_offset++, signal.key, signal.value, {}, 0});
    }
    result.health_signals += static_cast<int64_t>(scored->signals.size());
    if (auto s = health_store.Save(scored->states, scored->summaries); !s.ok()) return s;
    auto risks = churn_engine.Process(batch, absl::Now());
    if (!risks.ok()) return risks.status();
    if (auto s = churn_store.Save(risks->states, risks->risks, risks->outcomes); !s.ok()) return s;
    batch.clear();
    return absl::OkStatus();
  };
  std::string line;
  while (std::getline(jsonl, line)) {
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    v1::InteractionEvent event;
    if (!google::protobuf::util::JsonStringToMessage(std::string(text), &event).ok() || event.account_id().empty() ||
        event.payload_case() == v1::InteractionEvent::PAYLOAD_NOT_SET) {
      ++result.unreadable_lines;
      continue;
    }
    ++result.events;
    batch.push_back({churn_settings.v1_topic, 0, v1_offset++, event.account_id(), event.SerializeAsString(), {}, 0});
    if (static_cast<int>(batch.size()) >= batch_size) {
      if (auto s = flush(); !s.ok()) return s;
    }
  }
  if (auto s = flush(); !s.ok()) return s;
  result.states = std::move(churn_store.states);
  return result;
}

}  // namespace retention::train
