// What integration tests need to find: the servers tools/test started, the binaries
// under test, free ports and unique names.
#pragma once

#include <functional>
#include <string>

#include "absl/time/time.h"

namespace retention::testing {

// KAFKA_BROKERS / REDIS_ADDR from the environment; the test fails if unset.
std::string KafkaBrokers();
std::string RedisAddr();

// A path under the test's runfiles, e.g. "services/ingest/ingest".
std::string Runfile(const std::string& path);

// A TCP port on 127.0.0.1 nobody listens on now.
int FreePort();

// "<prefix>-<random>", for topics, groups and instance ids of one test.
std::string UniqueName(const std::string& prefix);

// Polls `condition` every `interval` until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
             absl::Duration interval = absl::Milliseconds(100));

// GET http://127.0.0.1:<port><path>; empty on failure.
std::string HttpGet(int port, const std::string& path);

// The value of a Prometheus sample line `name{labels} value` in `text`; the labels
// must appear as written (e.g. R"(path="kafka")"). 0 when absent.
double MetricValue(const std::string& text, const std::string& name, const std::string& labels = "");

}  // namespace retention::testing
