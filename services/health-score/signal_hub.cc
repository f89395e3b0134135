#include "services/health-score/signal_hub.h"

#include <algorithm>

namespace retention::health {
namespace {

template <typename List, typename Value>
bool AnyOrContains(const List& list, const Value& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool Matches(const v1::HealthFilter& filter, const v1::AccountHealth& health) {
  return AnyOrContains(filter.bands(), health.band()) && AnyOrContains(filter.stages(), health.loyalty_stage()) &&
         AnyOrContains(filter.segments(), health.segment());
}

std::optional<v1::HealthSignal> SignalHub::Subscription::Next(absl::Duration wait) {
  absl::MutexLock lock(&mu_);
  const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closed_ || overflowed_; };
  mu_.AwaitWithTimeout(absl::Condition(&ready), wait);
  if (queue_.empty() || overflowed_) return std::nullopt;
  v1::HealthSignal signal = std::move(queue_.front());
  queue_.pop_front();
  return signal;
}

bool SignalHub::Subscription::overflowed() {
  absl::MutexLock lock(&mu_);
  return overflowed_;
}

bool SignalHub::Subscription::closed() {
  absl::MutexLock lock(&mu_);
  return closed_;
}

std::shared_ptr<SignalHub::Subscription> SignalHub::Subscribe(const v1::HealthFilter& filter) {
  auto subscription = std::make_shared<Subscription>();
  subscription->filter_ = filter;
  absl::MutexLock lock(&mu_);
  subscribers_.push_back(subscription);
  return subscription;
}

void SignalHub::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscription), subscribers_.end());
}

void SignalHub::Publish(const v1::HealthSignal& signal) {
  absl::MutexLock lock(&mu_);
  for (const auto& s : subscribers_) {
    if (!Matches(s->filter_, signal.health())) continue;
    absl::MutexLock sub_lock(&s->mu_);
    if (s->queue_.size() >= max_queue_) {
      s->overflowed_ = true;
      continue;
    }
    s->queue_.push_back(signal);
  }
}

void SignalHub::Close() {
  absl::MutexLock lock(&mu_);
  for (const auto& s : subscribers_) {
    absl::MutexLock sub_lock(&s->mu_);
    s->closed_ = true;
  }
}

}  // namespace retention::health
