// The loop of a service that keeps state per account and publishes signals. Per batch:
//   1. decode the records; quarantine what cannot be used (undecodable, on the wrong
//      partition, dated too far ahead of the wall clock), with the reason;
//   2. advance each partition's clock (its stream time: the latest event time read,
//      and the wall clock while the partition is caught up) and find the accounts the
//      due index says are due by then;
//   3. load those accounts' states (one round trip), fold the records and the ticks in
//      (the service's engine), publish the signals and wait for their delivery;
//   4. write the states, due times and indexes with each partition's checkpoint, in one
//      atomic write that is refused if this replica no longer owns a partition
//      (fenced) or the stored state is not the one it started from (lost);
//   5. commit the offsets.
// A crash repeats at most the signals of the batch in hand (same ids); the checkpoint
// makes every input apply exactly once. Partitions are claimed on assignment (a new
// epoch; start from the checkpoint) and refused if their state is gone or went
// backwards: the service fails closed (NOT_SERVING, retention_state_lost, a log line
// saying how to recover) until `retentionctl rebuild` asks for a rebuild, which replays
// the retained topics into a clean state without publishing again. Failures of Kafka
// or Redis are retried with backoff and reported; a batch is never skipped.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "libs/dependency/dependency_health.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/producer.h"
#include "libs/status/backoff.h"
#include "libs/stream/batch_folder.h"
#include "libs/stream/clock.h"
#include "libs/stream/liveness.h"
#include "libs/stream/state_store.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace retention::stream {

struct LoopSettings {
  std::string service;                   // e.g. "health-score", in logs and metric labels
  // Reads one partition of the service's own signal topic from its beginning (none if
  // unset): a rebuild takes back what was last published from it.
  std::function<absl::Status(int32_t partition,
                             const std::function<absl::Status(const std::vector<kafka::ConsumedRecord>&)>& handle)>
      read_own_signals;
  std::vector<std::string> input_topics;  // co-partitioned
  int32_t partitions = 0;                 // their partition count (0: do not check keys)
  std::string quarantine_topic;
  size_t max_batch = 2000;
  absl::Duration poll_wait = absl::Milliseconds(100);
  absl::Duration publish_timeout = absl::Seconds(30);
  // How often an idle loop moves its clocks to the wall clock and ticks due accounts.
  absl::Duration tick_interval = absl::Seconds(1);
  // How often an idle owner checks that its state is still there.
  absl::Duration verify_interval = absl::Seconds(2);
  // Events dated further ahead of the wall clock are quarantined: they would move an
  // account's clock past every real event.
  absl::Duration max_future_skew = absl::Minutes(5);
  // Accounts ticked per partition and batch at most; the rest wait for the next turn.
  size_t max_due_per_partition = 5000;
};

// The loop's metrics: `prefix` is the service's (e.g. retention_health).
struct LoopMetrics {
  LoopMetrics(prometheus::Registry& registry, const std::string& prefix, const std::string& service);

  prometheus::Counter& inputs_applied;
  prometheus::Counter& ticks;
  prometheus::Counter& signals_published;
  prometheus::Counter& due_accounts;
  prometheus::Gauge& due_now;
  prometheus::Counter& accounts_touched;
  prometheus::Gauge& consumer_lag;
  prometheus::Gauge& state_lost;
  prometheus::Histogram& batch_seconds;
  prometheus::Histogram& sweep_seconds;
  prometheus::Histogram& input_to_signal_seconds;
  prometheus::Family<prometheus::Counter>& quarantined;
  std::string service;
};

// Whether the service may answer from its state: closed while the state is lost.
class ServingGate {
 public:
  bool open() const { return open_.load(); }
  std::string reason() const {
    absl::MutexLock lock(&mu_);
    return reason_;
  }
  void Close(std::string reason) {
    absl::MutexLock lock(&mu_);
    reason_ = std::move(reason);
    open_ = false;
  }
  void Open() { open_ = true; }

 private:
  std::atomic<bool> open_{true};
  mutable absl::Mutex mu_;
  std::string reason_ ABSL_GUARDED_BY(mu_);
};

class StatefulLoop {
 public:
  StatefulLoop(LoopSettings settings, BatchFolder* folder, StateStore* store, kafka::Producer* producer,
               const Clock* clock, dependency::DependencyHealth* dependencies, LoopMetrics* metrics,
               Liveness* liveness, ServingGate* gate);

  // Sets the assignment strategy and callbacks this loop needs; call before creating
  // the consumer from `options`.
  void Attach(kafka::ConsumerOptions& options);

  // Runs until `stop` is set; the batch in hand is finished first.
  void Run(kafka::Consumer& consumer, const std::atomic<bool>& stop);

  // One turn of the loop: claim what was assigned, poll, process a batch or tick the
  // accounts due. For tests that interleave replicas step by step.
  void Step(kafka::Consumer& consumer, const std::atomic<bool>& stop);

  bool lost() const { return lost_; }

 private:
  // One input partition number, owned by this replica.
  struct Owned {
    std::set<std::string> topics_assigned;
    bool claimed = false;
    int64_t epoch = 0;
    std::optional<Checkpoint> checkpoint;  // as stored (nullopt: none yet)
    absl::Time clock = absl::InfinitePast();
    std::map<std::string, int64_t> silent_until;  // replaying: records below are not published again
  };

  // Writes into `to` the replay marks of `o` not reached yet, so that a replica that
  // takes the partition over mid-rebuild goes on replaying silently.
  static void KeepReplayMarks(const Owned& o, Checkpoint& to);
  void OnAssigned(std::vector<kafka::TopicPartitionOffset>& assigned);
  void OnRevoked(const std::vector<kafka::TopicPartition>& revoked);
  // Claims the partitions assigned but not yet claimed; false if it must wait.
  bool ClaimPending(const std::atomic<bool>& stop);
  void ProcessBatch(std::vector<kafka::ConsumedRecord>& records, const std::atomic<bool>& stop);
  void Idle(const std::atomic<bool>& stop);
  void WhileLost(const std::atomic<bool>& stop);
  // Folds, publishes and writes one unit of work; commits its offsets.
  void Complete(std::map<int32_t, PartitionPlan> plans, const std::vector<kafka::ConsumedRecord>& records,
                const std::vector<std::string>& record_accounts, std::vector<kafka::OutgoingRecord> quarantined,
                const std::map<int32_t, Checkpoint>& next, const std::atomic<bool>& stop);
  void Halt(int32_t partition, const std::string& why);
  void Drop(int32_t partition, const std::string& why);
  bool Caught(int32_t partition, const std::map<kafka::TopicPartition, int64_t>& lags) const;
  std::vector<kafka::TopicPartition> TopicPartitions(int32_t partition) const;
  // Retries `step` with backoff until it succeeds; false if stopped first.
  bool Retry(const char* dependency, const std::atomic<bool>& stop, const std::function<absl::Status()>& step);

  LoopSettings settings_;
  BatchFolder* folder_;
  StateStore* store_;
  kafka::Producer* producer_;
  const Clock* clock_;
  dependency::DependencyHealth* dependencies_;
  LoopMetrics* metrics_;
  Liveness* liveness_;
  ServingGate* gate_;
  kafka::Consumer* consumer_ = nullptr;

  std::map<int32_t, Owned> owned_;
  bool lost_ = false;
  std::string lost_reason_;
  absl::Time last_tick_ = absl::InfinitePast();
  int64_t sequence_base_ = 0;  // of the current generation (since the last rebuild)
  // While a partition is rebuilt: what its accounts last published (account -> state
  // bytes), for accounts not stored yet.
  std::map<int32_t, std::map<std::string, std::string>> restored_;
  absl::Time last_verify_ = absl::InfinitePast();
  absl::Time last_lost_log_ = absl::InfinitePast();
  std::unique_ptr<Backoff> poll_backoff_;
};

}  // namespace retention::stream
