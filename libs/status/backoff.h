// Exponential backoff for retry loops that must stay responsive to shutdown.
#pragma once

#include <algorithm>
#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace retention {

class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max) : initial_(initial), max_(max), next_(initial) {}

  // Sleeps the current delay (in short steps, returning early once `stop` is set),
  // then doubles it up to the maximum. Returns false if stopped.
  bool Wait(const std::atomic<bool>& stop) {
    const absl::Time until = absl::Now() + next_;
    next_ = std::min(next_ * 2, max_);
    while (absl::Now() < until) {
      if (stop.load()) return false;
      absl::SleepFor(std::min(absl::Milliseconds(50), until - absl::Now()));
    }
    return !stop.load();
  }

  void Reset() { next_ = initial_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration next_;
};

}  // namespace retention
