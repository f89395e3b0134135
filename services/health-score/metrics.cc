#include "services/health-score/metrics.h"

#include "libs/metrics/metrics_server.h"

namespace retention::health {

HealthMetrics::HealthMetrics(prometheus::Registry& registry)
    : events_applied(metrics::AddCounter(registry, "retention_health_events_applied_total",
                                         "Canonical events folded into account state")),
      events_redelivered(metrics::AddCounter(registry, "retention_health_events_redelivered_total",
                                             "Events read again after a restart or rebalance; already applied, skipped")),
      events_unreadable(metrics::AddCounter(registry, "retention_health_events_unreadable_total",
                                            "Records on the v1 topic that are not InteractionEvents, skipped")),
      signals_published(metrics::AddCounter(registry, "retention_health_signals_published_total",
                                            "Health signals published on a meaningful change")),
      batch_seconds(metrics::AddLatencyHistogram(registry, "retention_health_batch_seconds",
                                                 "Time from poll to committed offsets, per batch")),
      event_to_signal_seconds(metrics::AddLatencyHistogram(
          registry, "retention_health_event_to_signal_seconds",
          "From ingest's received_at of the triggering event to the signal's delivery")),
      consumer_lag(metrics::AddGauge(registry, "retention_health_consumer_lag",
                                     "v1 records not yet read, over assigned partitions")) {}

}  // namespace retention::health
