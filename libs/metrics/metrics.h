// Helpers to add the suite's metrics to a registry (prometheus-cpp); the registry is
// served by HttpEndpoint.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace retention::metrics {

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
