#include "services/reference-pipeline/engine.h"

#include <set>

#include "absl/strings/str_join.h"
#include "libs/pipeline/signal_id.h"
#include "libs/proto/time_util.h"

namespace retention::reference {

kafka::OutgoingRecord SignalRecord(const std::string& topic, v1::AdvocacySignal signal, absl::Time now) {
  // The id depends only on what caused the signal, so a repeat after a crash has the same id.
  signal.set_signal_id(pipeline::SignalId(
      "as", {signal.account_id(), v1::AdvocacySignal::Kind_Name(signal.kind()), signal.trigger_id()}));
  *signal.mutable_published_at() = proto::ToTimestamp(now);
  return {topic, signal.account_id(), signal.SerializeAsString(), {}};
}

absl::StatusOr<BatchResult> ReferenceEngine::Process(const std::vector<kafka::ConsumedRecord>& records, absl::Time now) {
  BatchResult result;
  std::vector<std::string> accounts;
  std::set<std::string> seen;
  struct Input {
    const kafka::ConsumedRecord* record;
    std::string account;
    v1::InteractionEvent event;
    v1::HealthSignal health;
    v1::ChurnRiskSignal churn;
  };
  std::vector<Input> inputs;
  for (const kafka::ConsumedRecord& r : records) {
    Input in{&r, "", {}, {}, {}};
    bool ok = false;
    if (r.topic == settings_.health_topic) {
      ok = in.health.ParseFromString(r.value) && !in.health.account_id().empty();
      in.account = in.health.account_id();
    } else if (r.topic == settings_.churn_topic) {
      ok = in.churn.ParseFromString(r.value) && !in.churn.account_id().empty();
      in.account = in.churn.account_id();
    } else {
      ok = in.event.ParseFromString(r.value) && !in.event.account_id().empty();
      in.account = in.event.account_id();
    }
    if (!ok) {
      ++result.unreadable;
      continue;
    }
    if (seen.insert(in.account).second) accounts.push_back(in.account);
    inputs.push_back(std::move(in));
  }
  if (inputs.empty()) return result;
  auto states = store_->Load(accounts);
  if (!states.ok()) return states.status();

  const v1::ReferencePolicy& policy = settings_.policy;
  std::set<std::string> changed;
  for (const Input& in : inputs) {
    ReferenceAccountState& state = (*states)[in.account];
    const bool was_eligible = state.stream_eligible();
    const v1::RiskTier was_tier = state.profile().churn_tier();
    Applied applied;
    std::string trigger;
    if (in.record->topic == settings_.health_topic) {
      applied = ApplyHealth(policy, in.health, in.record->partition, in.record->offset, &state);
      trigger = in.health.signal_id();
    } else if (in.record->topic == settings_.churn_topic) {
      applied = ApplyChurn(policy, in.churn, in.record->partition, in.record->offset, &state);
      trigger = in.churn.signal_id();
    } else {
      applied = ApplyEvent(policy, in.event, in.record->partition, in.record->offset, &state);
      trigger = in.event.event_id();
    }
    if (!applied.applied) {
      ++result.redelivered;
      continue;
    }
    ++result.applied;
    changed.insert(in.account);
    const v1::AdvocacyProfile& p = state.profile();
    const auto emit = [&](v1::AdvocacySignal::Kind kind, std::string reason) {
      v1::AdvocacySignal s;
      s.set_account_id(in.account);
      s.set_kind(kind);
      s.set_reason(std::move(reason));
      *s.mutable_profile() = p;
      s.set_trigger_id(trigger);
      s.set_policy_version(policy.version());
      s.set_previous_eligible(was_eligible);
      s.set_previous_churn_tier(was_tier);
      result.signals.push_back(SignalRecord(settings_.advocacy_topic, std::move(s), now));
    };
    if (applied.contract_signed && p.band() >= policy.ask_at_signing_min_band() &&
        p.churn_tier() <= policy.max_churn_tier()) {
      emit(v1::AdvocacySignal::ASK_AT_SIGNING,
           absl::StrCat(p.last_success(), " with health ", v1::HealthBand_Name(p.band()), ": ask for a reference commitment now"));
    }
    if (applied.risk_rose && (p.advocate() || p.consent())) {
      emit(v1::AdvocacySignal::ADVOCATE_AT_RISK,
           absl::StrCat("churn risk ", v1::RiskTier_Name(p.churn_tier()), ": stop asking, start saving"));
    }
    const std::vector<std::string> reasons = StreamReasons(policy, p);
    if (reasons.empty() != state.stream_eligible()) {
      state.set_stream_eligible(reasons.empty());
      if (reasons.empty()) {
        emit(v1::AdvocacySignal::ADVOCATE_ELIGIBLE, p.advocate() ? "an advocate, now eligible" : "eligible as a reference");
      } else {
        emit(v1::AdvocacySignal::NO_LONGER_ELIGIBLE, absl::StrJoin(reasons, "; "));
      }
    }
  }
  for (const std::string& a : accounts) {
    if (changed.count(a) > 0) result.states.push_back(std::move((*states)[a]));
  }
  return result;
}

}  // namespace retention::reference
