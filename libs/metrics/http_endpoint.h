// The HTTP endpoint operators reach a service on (--metrics_bind:--metrics_port):
// /metrics in the Prometheus text format, /livez (200 while the processing loop makes
// progress, 503 once it is wedged) and /readyz (200 while the service serves). One
// small thread; requests are answered one at a time.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

namespace retention::metrics {

class HttpEndpoint {
 public:
  struct Probes {
    std::function<bool()> alive = [] { return true; };
    std::function<bool()> ready = [] { return true; };
  };

  // Listens on `bind`:`port` (port 0: any free port).
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(const std::string& bind, int port,
                                                             std::shared_ptr<prometheus::Registry> registry,
                                                             Probes probes);
  ~HttpEndpoint();

  int port() const { return port_; }

 private:
  HttpEndpoint(int fd, int port, std::shared_ptr<prometheus::Registry> registry, Probes probes)
      : fd_(fd), port_(port), registry_(std::move(registry)), probes_(std::move(probes)) {}
  void Serve();
  void Answer(int client);

  int fd_;
  int port_;
  std::shared_ptr<prometheus::Registry> registry_;
  Probes probes_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace retention::metrics
