// Fans signals out to WatchHealth subscribers. Each subscriber has a bounded queue; one
// that falls too far behind is ended (it resubscribes) rather than holding others up.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "retention/v1/health.pb.h"

namespace retention::health {

bool Matches(const v1::HealthFilter& filter, const v1::AccountHealth& health);

class SignalHub {
 public:
  class Subscription {
   public:
    // The next matching signal, or nullopt after `wait` (or once closed or overflowed).
    std::optional<v1::HealthSignal> Next(absl::Duration wait);
    bool overflowed();
    bool closed();

   private:
    friend class SignalHub;
    absl::Mutex mu_;
    std::deque<v1::HealthSignal> queue_ ABSL_GUARDED_BY(mu_);
    bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
    v1::HealthFilter filter_;
  };

  explicit SignalHub(size_t max_queue = 10000) : max_queue_(max_queue) {}

  std::shared_ptr<Subscription> Subscribe(const v1::HealthFilter& filter);
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);
  void Publish(const v1::HealthSignal& signal);
  // Ends every subscription (server shutdown).
  void Close();

 private:
  size_t max_queue_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace retention::health
