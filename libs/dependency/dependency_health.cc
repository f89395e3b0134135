#include "libs/dependency/dependency_health.h"

#include "absl/time/clock.h"
#include "libs/log/log.h"

namespace retention::dependency {

DependencyHealth::DependencyHealth(prometheus::Registry& registry, const std::string& prefix,
                                   const std::vector<std::string>& dependencies)
    : up_gauge_(prometheus::BuildGauge()
                    .Name(prefix + "_dependency_up")
                    .Help("1 if the last call to the dependency (kafka, redis) succeeded")
                    .Register(registry)),
      errors_(prometheus::BuildCounter()
                  .Name(prefix + "_dependency_errors_total")
                  .Help("Failed calls to a dependency (kafka, redis), each retried")
                  .Register(registry)) {
  for (const std::string& d : dependencies) {
    up_[d] = true;
    up_gauge_.Add({{"dependency", d}}).Set(1);
    errors_.Add({{"dependency", d}});
  }
}

void DependencyHealth::OnChange(std::function<void(bool healthy)> callback) {
  absl::MutexLock lock(&mu_);
  on_change_ = std::move(callback);
}

bool DependencyHealth::up(const std::string& dependency) {
  absl::MutexLock lock(&mu_);
  return up_[dependency];
}

bool DependencyHealth::healthy() {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, is_up] : up_) {
    if (!is_up) return false;
  }
  return true;
}

void DependencyHealth::Report(const std::string& dependency, const absl::Status& status) {
  const bool ok = status.ok();
  std::function<void(bool)> notify;
  bool healthy = true;
  {
    absl::MutexLock lock(&mu_);
    bool& flag = up_[dependency];
    if (!ok) {
      errors_.Add({{"dependency", dependency}}).Increment();
      absl::Time& last = last_warning_[dependency];
      if (flag || absl::Now() - last > absl::Seconds(10)) {
        last = absl::Now();
        LOG_WARN("dependency failed; retrying").Field("dependency", dependency).Field("error", status.ToString());
      }
    } else if (!flag) {
      LOG_INFO("dependency recovered").Field("dependency", dependency);
    }
    if (flag == ok) return;
    flag = ok;
    up_gauge_.Add({{"dependency", dependency}}).Set(ok ? 1 : 0);
    for (const auto& [name, is_up] : up_) healthy = healthy && is_up;
    notify = on_change_;
  }
  if (notify) notify(healthy);
}

}  // namespace retention::dependency
