// Starts a gRPC server the way every service of the suite needs it: the standard
// grpc.health.v1 service, server reflection (so grpcurl works), and a graceful
// shutdown that lets calls in flight finish within a deadline.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace retention::grpc_server {

class GrpcServer {
 public:
  // Listens on 0.0.0.0:<port> (0 picks a free port) and serves `services`, which must
  // outlive the server. Health, for "" and each of `service_names` (full names such as
  // "retention.v1.IngestService"), starts NOT_SERVING until SetServing(true).
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(int port,
                                                           const std::vector<grpc::Service*>& services,
                                                           std::vector<std::string> service_names);
  ~GrpcServer();

  int port() const { return port_; }

  // Sets the overall health ("") and that of every registered service.
  void SetServing(bool serving);

  // Stops accepting calls; waits up to `grace` for calls in flight, then cancels them.
  void Shutdown(absl::Duration grace);

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::vector<std::string> names)
      : server_(std::move(server)), port_(port), service_names_(std::move(names)) {}

  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::vector<std::string> service_names_;
  bool shut_down_ = false;
};

}  // namespace retention::grpc_server
