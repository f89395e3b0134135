// Tracks whether a service's dependencies (kafka, redis, its state) answer: a gauge and an error
// counter per dependency, a log line when one fails (at most one every 10 s while it
// stays down) or recovers, and a callback when the overall health flips, which the
// services wire to grpc.health.v1.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace retention::dependency {

class DependencyHealth {
 public:
  // Metrics: <prefix>_dependency_up{dependency} and <prefix>_dependency_errors_total{dependency}.
  DependencyHealth(prometheus::Registry& registry, const std::string& prefix,
                   const std::vector<std::string>& dependencies);

  // Called with the overall health (every dependency up) whenever it changes.
  void OnChange(std::function<void(bool healthy)> callback);

  // The outcome of a call to `dependency`.
  void Report(const std::string& dependency, const absl::Status& status);

  bool up(const std::string& dependency);
  // Every dependency up.
  bool healthy();

 private:
  absl::Mutex mu_;
  std::map<std::string, bool> up_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> last_warning_ ABSL_GUARDED_BY(mu_);
  std::function<void(bool)> on_change_ ABSL_GUARDED_BY(mu_);
  prometheus::Family<prometheus::Gauge>& up_gauge_;
  prometheus::Family<prometheus::Counter>& errors_;
};

}  // namespace retention::dependency
