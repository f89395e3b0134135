// The de-duplication memory in a map, with the Redis store's semantics (pending claims
// that lapse, the marker): for unit tests of the ingest logic and loop.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/ingest/dedupe.h"

namespace retention::ingest {

class InMemoryDedupeStore : public DedupeStore {
 public:
  absl::StatusOr<std::vector<ClaimResult>> Claim(const std::vector<DedupeClaim>& claims,
                                                 const std::vector<ReadSpan>& spans, std::string* marker) override {
    absl::MutexLock lock(&mu_);
    if (!available) return absl::UnavailableError("store down");
    if (!intact) return absl::FailedPreconditionError("the de-duplication memory is gone");
    for (const ReadSpan& s : spans) {
      auto it = read_.find({s.topic, s.partition});
      if (marker != nullptr && *marker == marker_ && s.recorded >= 0 && (it == read_.end() || it->second < s.recorded)) {
        return absl::FailedPreconditionError("the de-duplication memory went back");
      }
    }
    if (marker != nullptr) *marker = marker_;
    for (const ReadSpan& s : spans) {
      int64_t& read = read_[{s.topic, s.partition}];
      read = std::max(read, s.to);
    }
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
    read_.clear();
    marker_ = absl::StrCat("marker-", ++markers_);
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
  // Becomes a copy of `other`: a replica's view at some moment, and later a failover
  // to that replica, which missed every write since.
  void CopyFrom(const InMemoryDedupeStore& other) {
    std::map<std::string, Entry> held;
    std::map<std::pair<std::string, int32_t>, int64_t> read;
    {
      absl::MutexLock theirs(&other.mu_);
      held = other.held_;
      read = other.read_;
    }
    std::string marker;
    {
      absl::MutexLock theirs(&other.mu_);
      marker = other.marker_;
    }
    absl::MutexLock lock(&mu_);
    held_ = std::move(held);
    read_ = std::move(read);
    marker_ = std::move(marker);
    intact = other.intact;
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
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> held_;
  std::map<std::pair<std::string, int32_t>, int64_t> read_;  // how far each partition was read
  std::string marker_ = "marker-0";
  int markers_ = 0;
};

}  // namespace retention::ingest
