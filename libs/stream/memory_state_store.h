// The state store in memory, with the Redis store's semantics (epochs, checkpoints,
// all-or-nothing writes): for unit tests, and for replaying a history in one process
// (tools/train). Nothing survives the process. Tests can also take data away (Lose)
// or roll it back (Snapshot/Restore) as a Redis failure would.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "libs/stream/state_store.h"

namespace retention::stream {

class MemoryStateStore final : public StateStore {
 public:
  struct Data {
    std::map<std::string, std::string> states;
    std::map<std::string, std::string> summaries;
    std::map<std::string, std::map<std::string, double>> indexes;  // index -> account -> score
    std::map<std::string, std::string> lookups;
    std::map<int32_t, std::map<std::string, absl::Time>> due;  // partition -> account -> due
    std::map<int32_t, int64_t> epochs;
    std::map<int32_t, std::string> checkpoints;
    std::map<std::string, std::map<std::string, int64_t>> counters;
    std::string rebuild_requested;
  };

  absl::StatusOr<std::vector<PartitionClaim>> Claim(const std::vector<int32_t>& partitions) override;
  absl::StatusOr<StoreMeta> Meta() override;
  absl::StatusOr<std::map<std::string, std::string>> Load(const std::vector<std::string>& accounts) override;
  absl::StatusOr<std::vector<std::string>> Due(int32_t partition, absl::Time up_to, size_t limit) override;
  absl::StatusOr<WriteResult> Write(const BatchWrite& write) override;
  absl::StatusOr<WriteResult> Verify(const std::vector<PartitionWrite>& current) override;

  // The next `count` calls fail with UNAVAILABLE (Redis away); a write that fails this
  // way after applying (a lost reply) is made with FailAfterApplying.
  void FailNext(int count);
  void FailNextWriteAfterApplying();
  // Everything goes, as after FLUSHALL or a restart without persistence.
  void Lose();
  Data Snapshot();
  void Restore(Data data);
  // retentionctl rebuild: deletes everything and asks for a rebuild.
  void RequestRebuild();

  Data data() {
    absl::MutexLock lock(&mu_);
    return data_;
  }

 private:
  absl::Status TakeFailure() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  WriteResult Check(const std::vector<PartitionWrite>& partitions, bool for_write) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  Data data_ ABSL_GUARDED_BY(mu_);
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_after_applying_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace retention::stream
