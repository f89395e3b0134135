#include "services/churn-risk/engine.h"

#include <algorithm>
#include <variant>

#include "absl/strings/str_format.h"
#include "libs/pipeline/signal_id.h"
#include "libs/proto/time_util.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"
#include "services/churn-risk/features.h"
#include "services/churn-risk/model.h"

namespace retention::churn {
namespace {

// One input record, decoded.
struct Input {
  const kafka::ConsumedRecord* record;
  std::string account;
  std::string trigger_id;  // the event id, or the health signal id
  std::variant<v1::InteractionEvent, v1::HealthSignal> payload;
};

}  // namespace

v1::ChurnRisk Assess(const v1::ChurnModel& model, const churnrisk::ChurnAccountState& state) {
  const Prediction p = Predict(model, ComputeFeatures(state));
  v1::ChurnRisk risk;
  risk.set_account_id(state.activity().account_id());
  risk.set_probability(p.probability);
  risk.set_tier(p.tier);
  for (v1::RiskDriver& d : TopDrivers(model, p)) *risk.add_drivers() = std::move(d);
  risk.set_arr(state.activity().arr());
  risk.set_revenue_at_risk(p.probability * static_cast<double>(state.activity().arr()));
  risk.set_retention_priority(
      RetentionPriority(model, p.probability, state.activity().arr(), state.strategic_importance()));
  risk.set_segment(state.activity().plan().empty() ? "default" : state.activity().plan());
  risk.set_model_version(model.version());
  risk.mutable_as_of()->set_seconds(state.activity().as_of_seconds());
  return risk;
}

absl::StatusOr<BatchResult> ChurnEngine::Process(const std::vector<kafka::ConsumedRecord>& records, absl::Time now) {
  BatchResult result;
  std::vector<Input> inputs;
  std::vector<std::string> accounts;
  for (const kafka::ConsumedRecord& r : records) {
    Input in{&r, "", "", {}};
    if (r.topic == settings_.health_topic) {
      v1::HealthSignal s;
      if (!s.ParseFromString(r.value) || s.account_id().empty()) {
        ++result.unreadable;
        continue;
      }
      in.account = s.account_id();
      in.trigger_id = s.signal_id();
      in.payload = std::move(s);
    } else {
      v1::InteractionEvent e;
      if (!e.ParseFromString(r.value) || e.account_id().empty()) {
        ++result.unreadable;
        continue;
      }
      in.account = e.account_id();
      in.trigger_id = e.event_id();
      in.payload = std::move(e);
    }
    accounts.push_back(in.account);
    inputs.push_back(std::move(in));
  }
  std::sort(accounts.begin(), accounts.end());
  accounts.erase(std::unique(accounts.begin(), accounts.end()), accounts.end());
  if (accounts.empty()) return result;
  auto loaded = store_->Load(accounts);
  if (!loaded.ok()) return loaded.status();

  const v1::ChurnModel& model = settings_.model;
  std::map<std::string, v1::ChurnRisk> latest;
  for (Input& in : inputs) {
    churnrisk::ChurnAccountState& state = (*loaded)[in.account];
    const bool applied =
        std::holds_alternative<v1::HealthSignal>(in.payload)
            ? ApplyHealth(std::get<v1::HealthSignal>(in.payload), in.record->partition, in.record->offset, &state)
            : ApplyEvent(std::get<v1::InteractionEvent>(in.payload), in.record->partition, in.record->offset, &state);
    if (!applied) {
      ++result.redelivered;
      continue;
    }
    ++result.applied;
    v1::ChurnRisk risk = Assess(model, state);
    if (const auto* e = std::get_if<v1::InteractionEvent>(&in.payload); e != nullptr && e->has_win_loss()) {
      Outcome& o = result.outcomes.emplace_back();
      o.segment = risk.segment();
      o.period = absl::FormatTime("%Y-%m", proto::FromTimestamp(e->occurred_at()), absl::UTCTimeZone());
      o.outcome = e->win_loss().outcome();
      o.reasons.assign(e->win_loss().reasons().begin(), e->win_loss().reasons().end());
      o.competitor = e->win_loss().competitor();
    }
    std::optional<Published> last;
    if (state.published()) last = Published{state.published_probability(), state.published_tier()};
    if (ShouldPublish(model, last, risk.probability(), risk.tier())) {
      v1::ChurnRiskSignal signal;
      signal.set_signal_id(pipeline::SignalId("cr", {in.account, in.trigger_id, model.version()}));
      signal.set_account_id(in.account);
      signal.set_previous_probability(state.published_probability());
      signal.set_previous_tier(state.published_tier());
      signal.set_trigger_event_id(in.trigger_id);
      *signal.mutable_published_at() = proto::ToTimestamp(now);
      *signal.mutable_risk() = risk;
      const auto* event = std::get_if<v1::InteractionEvent>(&in.payload);
      result.trigger_received_at.push_back(
          event != nullptr ? proto::FromTimestamp(event->received_at())
                           : proto::FromTimestamp(std::get<v1::HealthSignal>(in.payload).published_at()));
      state.set_published(true);
      state.set_published_probability(risk.probability());
      state.set_published_tier(risk.tier());
      result.signals.push_back({settings_.churn_topic, in.account, signal.SerializeAsString(),
                                {{"content-type", "application/x-protobuf"}, {"signal-id", signal.signal_id()}}});
    }
    latest[in.account] = std::move(risk);
  }
  for (auto& [account, risk] : latest) {
    result.states.push_back(std::move((*loaded)[account]));
    result.risks.push_back(std::move(risk));
  }
  return result;
}

}  // namespace retention::churn
