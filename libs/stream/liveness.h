// Whether a service's processing loop still makes progress: the loop beats at every
// turn (and while it waits to retry), /livez answers 503 once no beat came for too
// long. A dependency outage is not a reason to restart (the loop keeps beating while
// it retries); a wedged loop is.
#pragma once

#include <atomic>

#include "absl/time/time.h"
#include "libs/stream/clock.h"

namespace retention::stream {

class Liveness {
 public:
  Liveness(const Clock* clock, absl::Duration max_silence)
      : clock_(clock), max_silence_(max_silence), last_beat_ms_(absl::ToUnixMillis(clock->Now())) {}

  void Beat() { last_beat_ms_.store(absl::ToUnixMillis(clock_->Now()), std::memory_order_relaxed); }

  bool Alive() const {
    return clock_->Now() - absl::FromUnixMillis(last_beat_ms_.load(std::memory_order_relaxed)) <= max_silence_;
  }

 private:
  const Clock* clock_;
  absl::Duration max_silence_;
  std::atomic<int64_t> last_beat_ms_;
};

}  // namespace retention::stream
