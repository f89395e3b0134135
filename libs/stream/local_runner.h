// Runs a service's engine in one process, without Kafka or Redis: records are folded
// in order with the partition's clock as the loop keeps it (the latest event time),
// and the clock can be moved on to tick the accounts due. For engine tests and for
// replaying a labelled history through the services' own logic (tools/train).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/stream/batch_folder.h"

namespace retention::stream {

template <typename Engine>
class LocalRunner {
 public:
  using State = typename Engine::State;

  explicit LocalRunner(const Engine* engine) : folder_(engine) {}

  // Folds `records` in order; decode failures are returned, not folded.
  FoldResult Feed(const std::vector<kafka::ConsumedRecord>& records, std::vector<std::string>* errors = nullptr) {
    const auto infos = folder_.Inspect(records);
    PartitionPlan plan;
    plan.start_clock = clock_;
    plan.end_clock = clock_;
    std::vector<std::string> accounts;
    for (size_t i = 0; i < records.size(); ++i) {
      if (!infos[i].ok()) {
        if (errors != nullptr) errors->push_back(std::string(infos[i].status().message()));
        continue;
      }
      plan.records.push_back(i);
      plan.end_clock = std::max(plan.end_clock, infos[i]->event_time);
      accounts.push_back(infos[i]->account);
    }
    return Fold(std::move(plan), records, accounts);
  }

  // Moves the clock to `now` (never back), ticking every account due by then.
  FoldResult AdvanceTo(absl::Time now) {
    PartitionPlan plan;
    plan.start_clock = clock_;
    plan.end_clock = std::max(clock_, now);
    return Fold(std::move(plan), {}, {});
  }

  // Puts `bytes` as the account's stored state, due at once, as a state store could
  // hand it back: readable or not (fuzzing feeds corrupt ones).
  void Store(const std::string& account, std::string bytes) {
    states_[account] = std::move(bytes);
    due_[account] = absl::InfinitePast();
  }

  std::optional<State> state(const std::string& account) const {
    auto it = states_.find(account);
    if (it == states_.end()) return std::nullopt;
    State s;
    s.ParseFromString(it->second);
    return s;
  }
  const std::map<std::string, std::string>& states() const { return states_; }
  absl::Time clock() const { return clock_; }

 private:
  FoldResult Fold(PartitionPlan plan, const std::vector<kafka::ConsumedRecord>& records,
                  const std::vector<std::string>& accounts) {
    for (const auto& [account, due] : due_) {
      if (due <= plan.end_clock) plan.due.push_back(account);
    }
    FoldPlan fold;
    fold.records = &records;
    for (const std::string& a : accounts) {
      if (auto it = states_.find(a); it != states_.end()) fold.stored[a] = it->second;
    }
    for (const std::string& a : plan.due) {
      if (auto it = states_.find(a); it != states_.end()) fold.stored[a] = it->second;
    }
    clock_ = plan.end_clock;
    fold.partitions.push_back(std::move(plan));
    FoldResult result = folder_.Fold(fold);
    for (const AccountWrite& w : result.writes) {
      if (w.write_state) states_[w.account] = w.state;
      if (w.next_due == absl::InfiniteFuture()) {
        due_.erase(w.account);
      } else {
        due_[w.account] = w.next_due;
      }
    }
    return result;
  }

  EngineFolder<Engine> folder_;
  absl::Time clock_ = absl::InfinitePast();
  std::map<std::string, std::string> states_;
  std::map<std::string, absl::Time> due_;
};

}  // namespace retention::stream
