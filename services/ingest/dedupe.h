// Remembers event ids for the de-duplication window. Each claim carries a token naming
// where the event was read (topic/partition/offset, or a gRPC call): an id already held
// by the same token is the same record read again (a redelivery after a crash, whose
// earlier output was never committed) and is claimed again; held by another token, it is
// an upstream repeat.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/redis/redis_client.h"

namespace retention::ingest {

struct DedupeClaim {
  std::string event_id;
  std::string token;
};

class DedupeStore {
 public:
  virtual ~DedupeStore() = default;
  // For each claim, in order: true if this token holds the id (first sight or a
  // redelivery), false if another token holds it (a repeat). All or nothing on error.
  virtual absl::StatusOr<std::vector<bool>> Claim(const std::vector<DedupeClaim>& claims) = 0;
  // Gives ids back whose publication failed, if still held by the same token.
  virtual absl::Status Release(const std::vector<DedupeClaim>& claims) = 0;
};

// Redis: one key per event id, `SET key token NX GET EX window`, all claims of a batch
// in one pipelined round trip.
class RedisDedupeStore : public DedupeStore {
 public:
  RedisDedupeStore(redis::RedisClient* redis, absl::Duration window) : redis_(redis), window_(window) {}

  absl::StatusOr<std::vector<bool>> Claim(const std::vector<DedupeClaim>& claims) override;
  absl::Status Release(const std::vector<DedupeClaim>& claims) override;

  // The key of an event id; the hash tag keeps Redis Cluster happy.
  static std::string Key(const std::string& event_id);

 private:
  redis::RedisClient* redis_;
  absl::Duration window_;
};

}  // namespace retention::ingest
