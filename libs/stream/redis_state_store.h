// The state store in Redis (see state_store.h), one key space per service under
// `<prefix>:`. Every call is one round trip; a write is one Lua script, so it applies
// whole or not at all, and checks the partitions' epochs and checkpoints first.
//
//   <prefix>:acct:{A}        account state          <prefix>:summary      hash A -> summary
//   <prefix>:idx:<name>      sorted index           <prefix>:lookup       hash key -> account
//   <prefix>:due:<p>         due accounts of p      <prefix>:epoch:<p>    owner's epoch of p
//   <prefix>:ckpt:<p>        checkpoint of p        <prefix>:meta         hash (rebuild request)
//   <prefix>:ctr:<group>     counters               <prefix>:ctr_groups   set of counter groups
//
// Redis Cluster is not supported (hiredis has no Cluster client): one primary, with
// replicas behind Sentinel or a managed primary endpoint.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libs/redis/redis_client.h"
#include "libs/stream/state_store.h"

namespace retention::stream {

class RedisStateStore final : public StateStore {
 public:
  // `index_names`: every sorted index the service's accounts may be ranked in.
  RedisStateStore(redis::RedisClient* redis, std::string prefix, std::vector<std::string> index_names)
      : redis_(redis), prefix_(std::move(prefix)), index_names_(std::move(index_names)) {}

  absl::StatusOr<std::vector<PartitionClaim>> Claim(const std::vector<int32_t>& partitions) override;
  absl::StatusOr<StoreMeta> Meta() override;
  absl::StatusOr<std::map<std::string, std::string>> Load(const std::vector<std::string>& accounts) override;
  absl::StatusOr<std::vector<std::string>> Due(int32_t partition, absl::Time up_to, size_t limit) override;
  absl::StatusOr<WriteResult> Write(const BatchWrite& write) override;
  absl::StatusOr<WriteResult> Verify(const std::vector<PartitionWrite>& current) override;

 private:
  redis::RedisClient* redis_;
  std::string prefix_;
  std::vector<std::string> index_names_;
};

// Reads a service's accounts for its gRPC API, on pooled connections (no global lock).
class AccountReader {
 public:
  AccountReader(redis::RedisPool* pool, std::string prefix) : pool_(pool), prefix_(std::move(prefix)) {}

  // The stored states of those accounts that have one.
  absl::StatusOr<std::map<std::string, std::string>> States(const std::vector<std::string>& accounts);
  // Accounts of a sorted index, highest (or lowest) score first.
  absl::StatusOr<std::vector<std::string>> Ranked(const std::string& index, bool descending, int64_t offset,
                                                  int64_t limit);
  // Summaries of those accounts that have one, in the order asked.
  absl::StatusOr<std::vector<std::string>> Summaries(const std::vector<std::string>& accounts);
  // The account a lookup key (e.g. a request id) belongs to.
  absl::StatusOr<std::optional<std::string>> Lookup(const std::string& key);
  // Every counter group with its fields.
  absl::StatusOr<std::map<std::string, std::map<std::string, int64_t>>> Counters();
  // Whether the service's state is there (its partitions have epochs); for readiness.
  absl::Status Ping();

 private:
  redis::RedisPool* pool_;
  std::string prefix_;
};

// Where a service stands on one partition, as stored: what it has applied and what is
// due. For `retentionctl status` and tests that wait for a service to catch up.
struct PartitionProgress {
  int32_t partition = 0;
  int64_t epoch = 0;                     // 0: never claimed
  std::optional<Checkpoint> checkpoint;  // nullopt: nothing written yet
  int64_t due = 0;                       // accounts due by the time asked about
};
absl::StatusOr<std::vector<PartitionProgress>> ReadProgress(redis::RedisClient& redis, const std::string& prefix,
                                                            int32_t partitions, absl::Time due_by);

// Deletes a service's whole key space and asks its replicas to rebuild their
// partitions from the beginning of the topics (retentionctl rebuild). Returns how many
// keys were deleted.
absl::StatusOr<int64_t> RequestRebuild(redis::RedisClient& redis, const std::string& prefix, absl::Time now);

}  // namespace retention::stream
