// The de-duplication memory in Redis (see dedupe.h).
#pragma once

#include <string>
#include <vector>

#include "libs/redis/redis_client.h"
#include "services/ingest/dedupe.h"

namespace retention::ingest {

// Redis: one key per event id ("<prefix>:seen:{ID}"), `SET key token NX GET EX ttl`,
// all claims of a batch in one pipelined round trip with the marker check
// ("<prefix>:meta").
class RedisDedupeStore : public DedupeStore {
 public:
  RedisDedupeStore(redis::RedisClient* redis, std::string prefix, absl::Duration window, absl::Duration pending_ttl)
      : redis_(redis), prefix_(std::move(prefix)), meta_(MetaKey(prefix_)), window_(window), pending_ttl_(pending_ttl) {}

  absl::StatusOr<std::vector<ClaimResult>> Claim(const std::vector<DedupeClaim>& claims,
                                                 const std::vector<ReadSpan>& spans, std::string* marker) override;
  absl::Status Confirm(const std::vector<DedupeClaim>& claims) override;
  absl::Status Release(const std::vector<DedupeClaim>& claims) override;
  absl::StatusOr<bool> Intact() override;
  absl::Status MarkIntact(absl::Time now) override;
  absl::StatusOr<bool> RebuildRequested() override;
  absl::Status Restore(const std::vector<DedupeClaim>& claims) override;

  std::string Key(const std::string& event_id) const;
  // The marker key: its "rebuild" field asks the replicas to rebuild the memory.
  static std::string MetaKey(const std::string& prefix) { return prefix + ":meta"; }

 private:
  redis::RedisClient* redis_;
  std::string prefix_;
  std::string meta_;
  absl::Duration window_;
  absl::Duration pending_ttl_;
};

}  // namespace retention::ingest
