// The ingest service's Prometheus metrics.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/ingest/ingestor.h"

namespace retention::ingest {

class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  // Adds a committed batch's counts; `path` is "kafka" or "grpc".
  void Add(const std::string& path, const IngestCounts& counts);

  prometheus::Histogram& batch_seconds() { return *batch_seconds_; }
  // Time per batch in one phase: "process" (decode, validate, Redis) or "publish" (transaction).
  prometheus::Histogram& phase_seconds(const std::string& phase);
  prometheus::Gauge& consumer_lag() { return *consumer_lag_; }
  // 1 while the de-duplication memory is lost and ingest holds every batch.
  prometheus::Gauge& state_lost() { return *state_lost_; }

 private:
  prometheus::Family<prometheus::Counter>& in_;
  prometheus::Family<prometheus::Counter>& out_;
  prometheus::Family<prometheus::Counter>& duplicates_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Histogram>& phases_;
  prometheus::Histogram* batch_seconds_;
  prometheus::Gauge* consumer_lag_;
  prometheus::Gauge* state_lost_;
};

}  // namespace retention::ingest
