// Fans signals out to streaming subscribers (gRPC server-streaming calls). Each
// subscriber has a filter and a bounded queue; one that falls too far behind is ended
// (it subscribes again) rather than holding the others up.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace retention::stream {

template <typename Signal>
class SignalHub {
 public:
  class Subscription {
   public:
    // The next matching signal, or nullopt after `wait` (or once closed or overflowed).
    std::optional<Signal> Next(absl::Duration wait) {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closed_ || overflowed_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
      if (queue_.empty() || overflowed_) return std::nullopt;
      Signal signal = std::move(queue_.front());
      queue_.pop_front();
      return signal;
    }
    bool overflowed() {
      absl::MutexLock lock(&mu_);
      return overflowed_;
    }
    bool closed() {
      absl::MutexLock lock(&mu_);
      return closed_;
    }

   private:
    friend class SignalHub;
    absl::Mutex mu_;
    std::deque<Signal> queue_ ABSL_GUARDED_BY(mu_);
    bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
    std::function<bool(const Signal&)> matches_;
  };

  explicit SignalHub(size_t max_queue = 10000) : max_queue_(max_queue) {}

  std::shared_ptr<Subscription> Subscribe(std::function<bool(const Signal&)> matches) {
    auto subscription = std::make_shared<Subscription>();
    subscription->matches_ = std::move(matches);
    absl::MutexLock lock(&mu_);
    subscribers_.push_back(subscription);
    return subscription;
  }

  void Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
    absl::MutexLock lock(&mu_);
    subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscription), subscribers_.end());
  }

  void Publish(const Signal& signal) {
    absl::MutexLock lock(&mu_);
    for (const auto& s : subscribers_) {
      if (!s->matches_(signal)) continue;
      absl::MutexLock sub_lock(&s->mu_);
      if (s->queue_.size() >= max_queue_) {
        s->overflowed_ = true;
        continue;
      }
      s->queue_.push_back(signal);
    }
  }

  // Ends every subscription (server shutdown).
  void Close() {
    absl::MutexLock lock(&mu_);
    for (const auto& s : subscribers_) {
      absl::MutexLock sub_lock(&s->mu_);
      s->closed_ = true;
    }
  }

 private:
  size_t max_queue_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace retention::stream
