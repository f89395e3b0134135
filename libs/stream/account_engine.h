// What a stateful service computes, as a pure engine: no Kafka, no Redis, no clock.
// The loop (stateful_loop.h) reads records, loads the accounts' states, hands the
// engine the inputs and the time, saves what it returns and publishes its signals.
//
// An account's answer is a function of its inputs so far and of now: Apply folds an
// input at the partition's clock, and Tick re-evaluates the account when time alone
// may change its answer (NextDue says when). Both may emit signals.
#pragma once

#include <algorithm>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/stream/state_store.h"

namespace retention::stream {

// A record a service could read: its account, the time it happened, its payload.
template <typename Input>
struct Decoded {
  std::string account;
  absl::Time event_time = absl::InfinitePast();
  Input input;
};

// What one input or one tick produced.
struct Emitted {
  // Signal sequences of this fold start above this: a rebuild starts a new generation
  // (its time in the high 32 bits), so that signals published after it come after any
  // a subscriber saw before it, however the replay counted.
  int64_t sequence_base = 0;
  // Replaying history already published (a rebuild): the signals are dropped, and an
  // engine leaves what it remembers of its publications alone, so that an account's
  // first evaluation after the replay publishes its current answer.
  bool silent = false;
  std::vector<kafka::OutgoingRecord> signals;
  // When each signal's trigger entered the suite (parallel to signals), for latency.
  std::vector<absl::Time> trigger_received_at;
  std::vector<CounterDelta> counters;

  void Signal(kafka::OutgoingRecord record, absl::Time trigger_received_at) {
    signals.push_back(std::move(record));
    this->trigger_received_at.push_back(trigger_received_at);
  }

  // The sequence of an account's next signal, after `published`.
  int64_t NextSequence(int64_t published) const { return std::max(published, sequence_base) + 1; }

  // A signal message (with its signal_id set), keyed by its account: protobuf, with the
  // id in a header so subscribers can drop repeats without decoding.
  template <typename SignalMessage>
  void Publish(const std::string& topic, const SignalMessage& signal, absl::Time trigger_received_at) {
    Signal({topic, signal.account_id(), signal.SerializeAsString(),
            {{"content-type", "application/x-protobuf"}, {"signal-id", signal.signal_id()}}},
           trigger_received_at);
  }
};

template <typename StateT, typename InputT>
class AccountEngine {
 public:
  using State = StateT;
  using Input = InputT;

  virtual ~AccountEngine() = default;

  // Decodes a record of one of the service's input topics; INVALID_ARGUMENT, with a
  // reason that says what is wrong, for one that cannot be used (it is quarantined).
  virtual absl::StatusOr<Decoded<Input>> Decode(const kafka::ConsumedRecord& record) const = 0;

  // Folds an input into its account's state and evaluates the account at `now`.
  virtual void Apply(const Decoded<Input>& input, const kafka::ConsumedRecord& record, absl::Time now, State& state,
                     Emitted& out) const = 0;

  // When time alone may next change the account's answer: after its last evaluation,
  // or InfiniteFuture if it cannot. A function of the state alone.
  virtual absl::Time NextDue(const State& state) const = 0;

  // Re-evaluates the account at `due` (a time NextDue gave).
  virtual void Tick(absl::Time due, State& state, Emitted& out) const = 0;

  // What listings keep of the account.
  virtual AccountIndex Index(const State& state) const = 0;

  // During a rebuild: takes back what the service last published for the account (a
  // record of its own signal topic), so that its next evaluation publishes only a
  // meaningful change from what subscribers saw. False if the engine keeps nothing.
  virtual bool RestorePublished(const kafka::ConsumedRecord& /*own_signal*/, State& /*state*/) const { return false; }
};

}  // namespace retention::stream
