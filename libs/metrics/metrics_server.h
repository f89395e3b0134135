// Prometheus metrics over HTTP: a registry every component adds its metrics to, and the
// /metrics endpoint that serves it (prometheus-cpp).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace retention::metrics {

// Serves a registry on 0.0.0.0:<port>/metrics until destroyed.
class MetricsServer {
 public:
  // port 0 picks a free port; port() tells which.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      int port, std::shared_ptr<prometheus::Registry> registry);

  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port)
      : exposer_(std::move(exposer)), port_(port) {}

  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

// Latency buckets in seconds, from 100 us to 30 s.
prometheus::Histogram::BucketBoundaries LatencyBuckets();

prometheus::Counter& AddCounter(prometheus::Registry& registry, const std::string& name,
                                const std::string& help, const prometheus::Labels& labels = {});
prometheus::Gauge& AddGauge(prometheus::Registry& registry, const std::string& name,
                            const std::string& help, const prometheus::Labels& labels = {});
prometheus::Histogram& AddLatencyHistogram(prometheus::Registry& registry,
                                           const std::string& name, const std::string& help,
                                           const prometheus::Labels& labels = {});

}  // namespace retention::metrics
