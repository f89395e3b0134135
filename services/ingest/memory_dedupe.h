// The de-duplication memory in a map, with the Redis store's semantics (pending claims
// that lapse, the marker): for unit tests of the ingest logic and loop.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/ingest/dedupe.h"

namespace retention::ingest {

class InMemoryDedupeStore : public DedupeStore {
 public:
  absl::StatusOr<std::vector<ClaimResult>> Claim(const std::vector<DedupeClaim>& claims) override {
    absl::MutexLock lock(&mu_);
    if (!available) return absl::UnavailableError("store down");
    if (!intact) return absl::FailedPreconditionError("the de-duplication memory is gone");
    std::vector<ClaimResult> out;
    for (const DedupeClaim& c : claims) {
      auto [it, inserted] = held_.try_emplace(c.event_id, Entry{c.token, c.pending});
      if (inserted || it->second.token == c.token) {
        out.push_back(ClaimResult::kHeld);
      } else {
        out.push_back(it->second.pending ? ClaimResult::kInFlight : ClaimResult::kDuplicate);
      }
    }
    return out;
  }
  absl::Status Confirm(const std::vector<DedupeClaim>& claims) override {
    absl::MutexLock lock(&mu_);
    for (const DedupeClaim& c : claims) {
      auto it = held_.find(c.event_id);
      if (it != held_.end() && it->second.token == c.token) it->second.pending = false;
    }
    return absl::OkStatus();
  }
  absl::Status Release(const std::vector<DedupeClaim>& claims) override {
    absl::MutexLock lock(&mu_);
    for (const DedupeClaim& c : claims) {
      auto it = held_.find(c.event_id);
      if (it != held_.end() && it->second.token == c.token) held_.erase(it);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<bool> Intact() override {
    absl::MutexLock lock(&mu_);
    return intact;
  }
  absl::Status MarkIntact(absl::Time) override {
    absl::MutexLock lock(&mu_);
    intact = true;
    rebuild_requested = false;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> RebuildRequested() override {
    absl::MutexLock lock(&mu_);
    return rebuild_requested;
  }
  absl::Status Restore(const std::vector<DedupeClaim>& claims) override {
    absl::MutexLock lock(&mu_);
    for (const DedupeClaim& c : claims) held_.try_emplace(c.event_id, Entry{c.token, false});
    return absl::OkStatus();
  }
  // A pending claim whose call died: it lapses (its time-to-live ran out).
  void Lapse(const std::string& event_id) {
    absl::MutexLock lock(&mu_);
    auto it = held_.find(event_id);
    if (it != held_.end() && it->second.pending) held_.erase(it);
  }
  // Redis lost its data.
  void Lose() {
    absl::MutexLock lock(&mu_);
    held_.clear();
    intact = false;
  }

  bool available = true;
  bool intact = true;
  bool rebuild_requested = false;

 private:
  struct Entry {
    std::string token;
    bool pending = false;
  };
  absl::Mutex mu_;
  std::map<std::string, Entry> held_;
};

}  // namespace retention::ingest
