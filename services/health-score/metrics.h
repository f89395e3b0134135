// health-score's Prometheus metrics.
#pragma once

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace retention::health {

struct HealthMetrics {
  explicit HealthMetrics(prometheus::Registry& registry);

  prometheus::Counter& events_applied;
  prometheus::Counter& events_redelivered;
  prometheus::Counter& events_unreadable;
  prometheus::Counter& signals_published;
  prometheus::Histogram& batch_seconds;
  // From ingest's received_at of the triggering event to the signal's delivery.
  prometheus::Histogram& event_to_signal_seconds;
  prometheus::Gauge& consumer_lag;
};

}  // namespace retention::health
