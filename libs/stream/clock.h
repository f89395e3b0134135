// Where "now" comes from. Services read time through a Clock so that tests can set it
// and end-to-end tests can run it faster than real time (days of silence in minutes).
#pragma once

#include <algorithm>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace retention::stream {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock a test sets by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

// Starts at `start` and runs `rate` times faster than the wall clock, up to `until`:
// a day of silence passes in 1/rate days (rate 0: time stands still at `start`). For
// end-to-end tests and demos of time-driven signals (--clock_start, --clock_rate,
// --clock_until); never for production.
class ScaledClock final : public Clock {
 public:
  ScaledClock(absl::Time start, double rate, absl::Time until = absl::InfiniteFuture())
      : start_(start), origin_(absl::Now()), rate_(rate), until_(until) {}
  absl::Time Now() const override { return std::min(until_, start_ + (absl::Now() - origin_) * rate_); }

 private:
  absl::Time start_;
  absl::Time origin_;
  double rate_;
  absl::Time until_;
};

}  // namespace retention::stream
