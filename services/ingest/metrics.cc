#include "services/ingest/metrics.h"

#include "libs/metrics/metrics.h"

namespace retention::ingest {

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : in_(prometheus::BuildCounter()
              .Name("retention_ingest_events_in_total")
              .Help("Records read from the raw topic or submitted over gRPC")
              .Register(registry)),
      out_(prometheus::BuildCounter()
               .Name("retention_ingest_events_out_total")
               .Help("Canonical events published to the v1 topic")
               .Register(registry)),
      duplicates_(prometheus::BuildCounter()
                      .Name("retention_ingest_duplicates_total")
                      .Help("Events dropped because their event id was seen within the window")
                      .Register(registry)),
      rejected_(prometheus::BuildCounter()
                    .Name("retention_ingest_rejected_total")
                    .Help("Records refused, by reason (dead-lettered on the Kafka path)")
                    .Register(registry)),
      phases_(prometheus::BuildHistogram()
                  .Name("retention_ingest_phase_seconds")
                  .Help("Time per batch in each phase: process (decode, validate, Redis), publish (transaction)")
                  .Register(registry)),
      batch_seconds_(&metrics::AddLatencyHistogram(registry, "retention_ingest_batch_seconds",
                                                   "Time from poll to committed transaction, per batch")),
      consumer_lag_(&metrics::AddGauge(registry, "retention_ingest_consumer_lag",
                                       "Raw-topic records not yet read, over assigned partitions")),
      state_lost_(&metrics::AddGauge(registry, "retention_state_lost",
                                     "1 while the service's state is lost and it refuses to serve",
                                     {{"service", "ingest"}})) {}

void IngestMetrics::Add(const std::string& path, const IngestCounts& counts) {
  in_.Add({{"path", path}}).Increment(static_cast<double>(counts.in));
  out_.Add({{"path", path}}).Increment(static_cast<double>(counts.out));
  duplicates_.Add({{"path", path}}).Increment(static_cast<double>(counts.duplicates));
  for (const auto& [reason, n] : counts.rejected) {
    rejected_.Add({{"path", path}, {"reason", v1::RejectReason_Name(reason)}}).Increment(static_cast<double>(n));
  }
}

prometheus::Histogram& IngestMetrics::phase_seconds(const std::string& phase) {
  return phases_.Add({{"phase", phase}}, metrics::LatencyBuckets());
}


}  // namespace retention::ingest
