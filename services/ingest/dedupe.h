// Remembers event ids for the de-duplication window. Each claim carries a token naming
// where the event was read (topic/partition/offset, or a gRPC call): an id already held
// by the same token is the same record read again (a redelivery after a crash, whose
// earlier output was never committed) and is claimed again; held by another token, it is
// an upstream repeat. A claim made for a gRPC call is pending until its events are
// published: it lapses by itself after a short time unless confirmed, so a call that
// died between its claim and its publication does not make the caller's retry a repeat.
// A marker tells whether the memory is intact: a Redis that lost its data would
// otherwise let every repeat through. With the claims of records read from Kafka, the
// store keeps how far each partition has been read: a store that has not seen as far
// as a replica knows it recorded (a failover to a replica that missed the last writes)
// lost claims too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace retention::ingest {

struct DedupeClaim {
  std::string event_id;
  std::string token;
  bool pending = false;  // a gRPC call's claim, held until confirmed
};

// The records of one partition a batch claims for, up to offset `to` (exclusive), and
// how far this replica last recorded reading it under the current marker (-1: not
// known here).
struct ReadSpan {
  std::string topic;
  int32_t partition = 0;
  int64_t recorded = -1;
  int64_t to = 0;
};

enum class ClaimResult {
  kHeld,       // this token holds the id: first sight, or the same record read again
  kDuplicate,  // another token holds it: an upstream repeat
  kInFlight,   // a pending claim holds it: another call is publishing it now
};

class DedupeStore {
 public:
  virtual ~DedupeStore() = default;
  // For each claim, in order. All or nothing on error; FAILED_PRECONDITION if the
  // memory is not intact: its marker is gone, or, while its marker is still `*marker`
  // (the one the caller recorded under), it has a partition of `spans` read less far
  // than the span's `recorded` (it went back). Records how far the spans go, and sets
  // `*marker` to the store's marker (a new one after a rebuild: what the caller
  // recorded before no longer counts).
  virtual absl::StatusOr<std::vector<ClaimResult>> Claim(const std::vector<DedupeClaim>& claims,
                                                         const std::vector<ReadSpan>& spans = {},
                                                         std::string* marker = nullptr) = 0;
  // Turns pending claims whose events are published into claims for the whole window.
  virtual absl::Status Confirm(const std::vector<DedupeClaim>& claims) = 0;
  // Gives ids back whose publication failed, if still held by the same token.
  virtual absl::Status Release(const std::vector<DedupeClaim>& claims) = 0;
  // Whether the marker is there; MarkIntact sets it (a new deployment, or after a
  // rebuild: then how far partitions were read is forgotten).
  virtual absl::StatusOr<bool> Intact() = 0;
  virtual absl::Status MarkIntact(absl::Time now) = 0;
  // Whether a rebuild was asked for (retentionctl rebuild ingest).
  virtual absl::StatusOr<bool> RebuildRequested() = 0;
  // Remembers ids again while rebuilding, without the marker check.
  virtual absl::Status Restore(const std::vector<DedupeClaim>& claims) = 0;
};

}  // namespace retention::ingest
