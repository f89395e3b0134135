// The loop's view of a service's logic, independent of its types: decode a batch's
// records, then fold them (and the ticks of accounts due) into the accounts' states.
// EngineFolder adapts an AccountEngine to it.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/stream/account_engine.h"
#include "libs/stream/state_store.h"

namespace retention::stream {

struct RecordInfo {
  std::string account;
  absl::Time event_time;
};

// One partition's share of a batch.
struct PartitionPlan {
  int32_t partition = 0;
  absl::Time start_clock = absl::InfinitePast();  // the partition's clock before the batch
  absl::Time end_clock = absl::InfinitePast();    // and after it (records, or the wall clock when caught up)
  std::vector<size_t> records;                    // indexes of the records to apply, in order
  std::vector<std::string> due;                   // accounts the due index says are due by end_clock
  bool silent = false;                            // replaying history already published: no signals
};

struct FoldPlan {
  const std::vector<kafka::ConsumedRecord>* records = nullptr;
  int64_t sequence_base = 0;  // see Emitted::sequence_base
  // The base of an account whose stored state was unreadable and starts afresh: above
  // anything it published before (the wall clock's seconds in the high 32 bits).
  int64_t fresh_sequence_base = 0;
  std::vector<PartitionPlan> partitions;
  std::map<std::string, std::string> stored;  // account -> stored state
};

struct UnreadableState {
  std::string account;
  std::string bytes;
};

struct FoldResult {
  std::vector<AccountWrite> writes;
  std::vector<kafka::OutgoingRecord> signals;
  std::vector<absl::Time> trigger_received_at;  // parallel to signals
  std::vector<CounterDelta> counters;
  std::vector<UnreadableState> unreadable;      // replaced by a fresh state
  int64_t applied = 0;
  int64_t ticks = 0;
  int64_t accounts_touched = 0;
};

class BatchFolder {
 public:
  virtual ~BatchFolder() = default;
  // Decodes every record of the batch; kept for the Fold that follows.
  virtual std::vector<absl::StatusOr<RecordInfo>> Inspect(const std::vector<kafka::ConsumedRecord>& records) = 0;
  virtual FoldResult Fold(const FoldPlan& plan) = 0;
  // Folds records of the service's own signal topic (keyed by account) into `states`
  // (account -> state bytes): see AccountEngine::RestorePublished.
  virtual void RestorePublished(const std::vector<kafka::ConsumedRecord>& own_signals,
                                std::map<std::string, std::string>& states) = 0;
};

// An account that never stops being due would loop forever: at most this many ticks
// per account and batch (a year of daily ticks); the rest waits for the next batch.
inline constexpr int kMaxTicksPerAccount = 400;

template <typename Engine>
class EngineFolder final : public BatchFolder {
 public:
  using State = typename Engine::State;
  using Input = typename Engine::Input;

  explicit EngineFolder(const Engine* engine) : engine_(engine) {}

  std::vector<absl::StatusOr<RecordInfo>> Inspect(const std::vector<kafka::ConsumedRecord>& records) override {
    decoded_.clear();
    decoded_.reserve(records.size());
    std::vector<absl::StatusOr<RecordInfo>> out;
    out.reserve(records.size());
    for (const kafka::ConsumedRecord& r : records) {
      decoded_.push_back(engine_->Decode(r));
      if (decoded_.back().ok()) {
        out.push_back(RecordInfo{decoded_.back()->account, decoded_.back()->event_time});
      } else {
        out.push_back(decoded_.back().status());
      }
    }
    return out;
  }

  void RestorePublished(const std::vector<kafka::ConsumedRecord>& own_signals,
                        std::map<std::string, std::string>& states) override {
    for (const kafka::ConsumedRecord& r : own_signals) {
      State state;
      auto it = states.find(r.key);
      if (it != states.end()) state.ParseFromString(it->second);
      if (engine_->RestorePublished(r, state)) state.SerializeToString(&states[r.key]);
    }
  }

  FoldResult Fold(const FoldPlan& plan) override {
    FoldResult result;
    std::map<std::string, Slot> slots;
    for (const PartitionPlan& p : plan.partitions) {
      Emitted emitted;
      emitted.sequence_base = plan.sequence_base;
      emitted.silent = p.silent;
      std::vector<std::string> touched;
      const auto slot = [&](const std::string& account) -> Slot& {
        auto [it, inserted] = slots.try_emplace(account);
        if (inserted) {
          it->second.partition = p.partition;
          auto stored = plan.stored.find(account);
          if (stored != plan.stored.end()) {
            it->second.exists = true;
            if (!it->second.state.ParseFromString(stored->second)) {
              result.unreadable.push_back({account, stored->second});
              emitted.sequence_base = std::max(emitted.sequence_base, plan.fresh_sequence_base);
              it->second.state = State();
              it->second.changed = true;
            }
          }
          touched.push_back(account);
        }
        return it->second;
      };
      absl::Time running = p.start_clock;
      for (size_t index : p.records) {
        const Decoded<Input>& input = *decoded_[index];
        running = std::max(running, input.event_time);
        Slot& s = slot(input.account);
        CatchUp(s, running, emitted, result);
        engine_->Apply(input, (*plan.records)[index], running, s.state, emitted);
        s.exists = true;
        s.changed = true;
        ++result.applied;
      }
      const absl::Time end = std::max(running, p.end_clock);
      for (const std::string& account : p.due) slot(account);
      for (const std::string& account : touched) CatchUp(slots[account], end, emitted, result);
      if (!p.silent) {
        for (auto& s : emitted.signals) result.signals.push_back(std::move(s));
        for (absl::Time t : emitted.trigger_received_at) result.trigger_received_at.push_back(t);
      }
      for (CounterDelta& c : emitted.counters) result.counters.push_back(std::move(c));
      result.accounts_touched += static_cast<int64_t>(touched.size());
    }
    for (auto& [account, s] : slots) {
      AccountWrite& w = result.writes.emplace_back();
      w.partition = s.partition;
      w.account = account;
      if (!s.exists) {
        // Due per the index but without a state: only the index entry goes.
        w.write_state = false;
        continue;
      }
      w.next_due = engine_->NextDue(s.state);
      if (!s.changed) {
        w.write_state = false;  // the due index is rewritten from the state all the same
        continue;
      }
      s.state.SerializeToString(&w.state);
      w.index = engine_->Index(s.state);
    }
    return result;
  }

 private:
  struct Slot {
    int32_t partition = 0;
    bool exists = false;
    bool changed = false;
    State state;
  };

  // Ticks the account at each due time up to `upto`.
  void CatchUp(Slot& s, absl::Time upto, Emitted& emitted, FoldResult& result) {
    if (!s.exists) return;
    for (int i = 0; i < kMaxTicksPerAccount; ++i) {
      const absl::Time due = engine_->NextDue(s.state);
      if (due > upto) return;
      engine_->Tick(due, s.state, emitted);
      s.changed = true;
      ++result.ticks;
    }
  }

  const Engine* engine_;
  std::vector<absl::StatusOr<Decoded<Input>>> decoded_;
};

}  // namespace retention::stream
