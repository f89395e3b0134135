// What every service of the suite runs around its own logic: the metrics and probes
// endpoint, dependency health wired to grpc.health.v1 and /readyz, the gRPC server, its
// clock, and the stop signal (SIGTERM or SIGINT). A main.cc builds one, adds its
// pieces, serves and runs; anything that cannot start exits with a message saying what.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "libs/config/common_flags.h"
#include "libs/dependency/dependency_health.h"
#include "libs/grpc/grpc_server.h"
#include "libs/metrics/http_endpoint.h"
#include "libs/stream/clock.h"
#include "libs/stream/liveness.h"
#include "prometheus/registry.h"

namespace retention::service {

class Service {
 public:
  // `metric_prefix`: e.g. "retention_health"; `dependencies`: e.g. {"kafka", "redis"}.
  Service(std::string name, std::string metric_prefix, config::CommonSettings common,
          std::vector<std::string> dependencies);
  ~Service();

  const std::string& name() const { return name_; }
  const std::string& metric_prefix() const { return metric_prefix_; }
  const config::CommonSettings& common() const { return common_; }
  prometheus::Registry& registry() { return *registry_; }
  dependency::DependencyHealth& dependencies() { return *dependencies_; }
  const stream::Clock& clock() const { return *clock_; }
  stream::Liveness& liveness() { return *liveness_; }
  const std::atomic<bool>& stop_requested() const { return *stop_; }

  // Serves `services` over gRPC (full names such as "retention.v1.HealthService" for
  // grpc.health.v1); SERVING while every dependency is up.
  void Serve(const std::vector<grpc::Service*>& services, const std::vector<std::string>& names);
  // Logs "<name> ready" with the ports, the instance and `fields`.
  void Ready(const std::map<std::string, std::string>& fields);
  // NOT_SERVING, then stops taking calls and lets those in flight finish.
  void Shutdown();

  // Prints "<name>: cannot start: <why>" and exits with status 1.
  [[noreturn]] void Fail(const absl::Status& status) const;
  template <typename T>
  T OrFail(absl::StatusOr<T> value) const {
    if (!value.ok()) Fail(value.status());
    return *std::move(value);
  }

 private:
  std::string name_;
  std::string metric_prefix_;
  config::CommonSettings common_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<dependency::DependencyHealth> dependencies_;
  std::unique_ptr<stream::Clock> clock_;
  std::unique_ptr<stream::Liveness> liveness_;
  std::unique_ptr<metrics::HttpEndpoint> endpoint_;
  std::unique_ptr<grpc_server::GrpcServer> server_;
  std::atomic<bool> serving_{false};
  const std::atomic<bool>* stop_;
};

}  // namespace retention::service
