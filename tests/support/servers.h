// Private servers for tests that take a dependency away: a Redis and a single-node
// Kafka (KRaft) of the test's own, on fixed free ports, that can be killed and
// started again on the same port and data.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace retention::testing {

// Append-only persistence on; `extra` adds redis-server arguments (e.g. --replicaof).
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra = {});
  void Start();
  void Kill();
  // Shuts down cleanly (SIGTERM: the append-only file is flushed first).
  void Stop();
  std::string addr() const;
  int port() const { return port_; }

 private:
  int port_;
  std::string dir_;
  std::vector<std::string> extra_;
  std::unique_ptr<Process> process_;
};

// Needs KAFKA_JARS (set by tools/test) and java.
class KafkaBroker {
 public:
  KafkaBroker();
  void Start();
  void Kill();
  std::string brokers() const;

 private:
  int port_;
  int controller_port_;
  std::string dir_;
  std::unique_ptr<Process> process_;
};

// grpc.health.v1 status of `service` ("" for the whole server) on 127.0.0.1:<port>:
// "SERVING", "NOT_SERVING", or the error.
std::string HealthStatus(int port, const std::string& service = "");

}  // namespace retention::testing
