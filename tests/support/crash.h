// Crash tests: kill a running service with SIGKILL at a random point mid-stream.
#pragma once

#include <random>
#include <string>

#include "tests/support/process.h"

namespace retention::testing {

// Waits until `service` has applied its first input (the counter `applied_metric` on
// its /metrics at `metrics_port` is above 0), lets it run a random 0-299 ms more, and
// kills it with SIGKILL, printing how far it got. False if it never started applying.
bool KillMidStream(Process& service, int metrics_port, const std::string& applied_metric, std::mt19937& rng);

}  // namespace retention::testing
