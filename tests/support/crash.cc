#include "tests/support/crash.h"

#include <cstdio>
#include <thread>

#include "tests/support/env.h"

namespace retention::testing {

bool KillMidStream(Process& service, int metrics_port, const std::string& applied_metric, std::mt19937& rng) {
  const auto applied = [&] { return MetricValue(HttpGet(metrics_port, "/metrics"), applied_metric); };
  if (!WaitFor([&] { return applied() > 0; }, absl::Seconds(60))) return false;
  // Not a wait for anything: a random point mid-stream to kill it at.
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
  const double at_kill = applied();
  service.Kill();
  std::printf("killed after %.0f inputs applied in this run\n", at_kill);
  return true;
}

}  // namespace retention::testing
