// Where a stateful service keeps its accounts, and how ownership of a partition is
// proven on every write. The loop (stateful_loop.h) is the only writer.
//
// Per input partition p (the same p of every co-partitioned input topic):
//   - an epoch: taken (incremented) by the replica that is assigned p. A write carries
//     the writer's epoch and is refused unless it is still the current one, so a
//     replica that lost p (paused past its session timeout, say) cannot overwrite the
//     newer owner's state: it is fenced.
//   - a checkpoint: the next offset of each input topic, the partition's clock and a
//     sequence number, written atomically with the states it produced. A write also
//     names the checkpoint it started from: a retried write that already applied is
//     recognised (the checkpoint is already the new one) and not applied twice, and a
//     checkpoint that went missing or backwards (Redis lost data, or failed over to a
//     replica that missed writes) is detected instead of served.
// Per account: its state, when it is next due (an index per partition, so that a tick
// touches only the accounts due), a summary and ranks for listings, and lookup keys.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace retention::stream {

// Where a partition's inputs were applied up to, and its clock.
struct Checkpoint {
  int64_t sequence = 0;                   // grows with every write
  absl::Time clock = absl::InfinitePast();  // the partition's stream time
  std::map<std::string, int64_t> offsets;   // input topic -> next offset to read
  // While a rebuild replays history: input topic -> the offset up to which records
  // were applied (and published) before, so are applied again silently.
  std::map<std::string, int64_t> replay_until;

  std::string Encode() const;
  static absl::StatusOr<Checkpoint> Decode(const std::string& text);
};

struct PartitionClaim {
  int32_t partition = 0;
  int64_t epoch = 0;
  std::optional<Checkpoint> checkpoint;  // nullopt: none stored
};

// What listings keep of an account.
struct AccountIndex {
  std::string summary;                     // bytes for listings; empty: none
  std::map<std::string, double> rankings;  // sorted index -> score; unnamed indexes drop the account
  std::vector<std::string> lookups;        // keys that find this account (e.g. request ids)
};

struct AccountWrite {
  int32_t partition = 0;
  std::string account;
  bool write_state = true;  // false: only fix the due index (an account without state)
  std::string state;
  absl::Time next_due = absl::InfiniteFuture();
  AccountIndex index;
};

// An increment of a named counter (e.g. defection insights per segment and month).
struct CounterDelta {
  std::string group;
  std::string field;
  int64_t delta = 0;
};

// One partition's part of a write: the owner's epoch and the checkpoint move.
struct PartitionWrite {
  int32_t partition = 0;
  int64_t epoch = 0;
  std::optional<Checkpoint> from;  // nullopt: none was stored
  Checkpoint to;
};

struct BatchWrite {
  std::vector<PartitionWrite> partitions;
  std::vector<AccountWrite> accounts;
  std::vector<CounterDelta> counters;
};

enum class WriteOutcome {
  kApplied,
  kAlreadyApplied,  // a retry of a write that had applied
  kFenced,          // another replica owns the partition now
  kLost,            // the state is missing or went backwards
};

struct WriteResult {
  WriteOutcome outcome = WriteOutcome::kApplied;
  int32_t partition = -1;  // which one, when fenced or lost
  std::string detail;
};

struct StoreMeta {
  // Set by `retentionctl rebuild SERVICE`: partitions without a checkpoint are
  // rebuilt from the beginning of their topics.
  std::string rebuild_requested;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Takes the partitions: a new epoch for each, and its stored checkpoint.
  virtual absl::StatusOr<std::vector<PartitionClaim>> Claim(const std::vector<int32_t>& partitions) = 0;
  virtual absl::StatusOr<StoreMeta> Meta() = 0;
  // The stored states of those accounts that have one.
  virtual absl::StatusOr<std::map<std::string, std::string>> Load(const std::vector<std::string>& accounts) = 0;
  // Accounts of `partition` due at or before `up_to`, earliest first, at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> Due(int32_t partition, absl::Time up_to, size_t limit) = 0;
  // Applies the write atomically if every partition's epoch and checkpoint are as it
  // says; otherwise applies nothing and says why.
  virtual absl::StatusOr<WriteResult> Write(const BatchWrite& write) = 0;
  // Whether each partition's epoch is still `epoch` and its checkpoint still `from`
  // (the owner's last write): has the state been lost, or the partition taken? For an
  // idle owner, which writes nothing that would tell.
  virtual absl::StatusOr<WriteResult> Verify(const std::vector<PartitionWrite>& current) = 0;
};

}  // namespace retention::stream
