#include "libs/metrics/metrics_server.h"

#include <exception>

#include "absl/strings/str_cat.h"

namespace retention::metrics {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    int port, std::shared_ptr<prometheus::Registry> registry) {
  // prometheus-cpp reports a failed bind by throwing; this is the one place it can.
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(absl::StrCat("0.0.0.0:", port));
    exposer->RegisterCollectable(registry);
    const std::vector<int> ports = exposer->GetListeningPorts();
    const int bound = ports.empty() ? port : ports.front();
    return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(exposer), bound));
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on port ", port, ": ", e.what()));
  }
}

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}

prometheus::Counter& AddCounter(prometheus::Registry& registry, const std::string& name,
                                const std::string& help, const prometheus::Labels& labels) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add(labels);
}

prometheus::Gauge& AddGauge(prometheus::Registry& registry, const std::string& name,
                            const std::string& help, const prometheus::Labels& labels) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add(labels);
}

prometheus::Histogram& AddLatencyHistogram(prometheus::Registry& registry,
                                           const std::string& name, const std::string& help,
                                           const prometheus::Labels& labels) {
  return prometheus::BuildHistogram()
      .Name(name)
      .Help(help)
      .Register(registry)
      .Add(labels, LatencyBuckets());
}

}  // namespace retention::metrics
