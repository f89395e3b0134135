#include "libs/service/service.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "libs/config/flags.h"
#include "libs/config/shutdown.h"
#include "libs/log/log.h"
#include "libs/metrics/metrics.h"

namespace retention::service {

Service::Service(std::string name, std::string metric_prefix, config::CommonSettings common,
                 std::vector<std::string> dependencies)
    : name_(std::move(name)),
      metric_prefix_(std::move(metric_prefix)),
      common_(std::move(common)),
      registry_(std::make_shared<prometheus::Registry>()),
      stop_(&config::StopOnSignals()) {
  dependencies_ = std::make_unique<dependency::DependencyHealth>(*registry_, metric_prefix_, dependencies);
  // The image sets RETENTION_BUILD_VERSION and RETENTION_BUILD_REVISION (tools/images, from
  // git); a binary run from a checkout says "dev".
  const auto env = [](const char* name, const char* otherwise) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr && *value != '\0' ? value : otherwise).substr(0, 64);
  };
  metrics::AddGauge(*registry_, "retention_build_info", "1, labelled with the service and the build it runs",
                    {{"service", name_},
                     {"version", env("RETENTION_BUILD_VERSION", "dev")},
                     {"revision", env("RETENTION_BUILD_REVISION", "unknown")}})
      .Set(1);
  if (common_.clock_start.has_value()) {
    clock_ = std::make_unique<stream::ScaledClock>(*common_.clock_start, common_.clock_rate, common_.clock_until);
    LOG_WARN("clock runs from a set time, not the wall clock (tests and demos only)")
        .Field("clock_start", absl::FormatTime(absl::RFC3339_sec, *common_.clock_start, absl::UTCTimeZone()))
        .Field("clock_rate", common_.clock_rate)
        .Field("clock_until", absl::FormatTime(absl::RFC3339_sec, common_.clock_until, absl::UTCTimeZone()));
  } else {
    clock_ = std::make_unique<stream::SystemClock>();
  }
  // Liveness is judged in real time: a scaled clock must not make a healthy loop look wedged.
  static const stream::SystemClock kWallClock;
  liveness_ = std::make_unique<stream::Liveness>(&kWallClock, absl::Seconds(60));
  metrics::HttpEndpoint::Probes probes;
  probes.alive = [this] { return liveness_->Alive(); };
  probes.ready = [this] { return serving_.load(); };
  endpoint_ = OrFail(metrics::HttpEndpoint::Start(common_.metrics_bind, common_.metrics_port, registry_, probes));
}

Service::~Service() { Shutdown(); }

void Service::Fail(const absl::Status& status) const { config::ExitOnStartupError(name_, status); }

void Service::Serve(const std::vector<grpc::Service*>& services, const std::vector<std::string>& names) {
  server_ = OrFail(grpc_server::GrpcServer::Start(common_.grpc_port, services, names));
  const auto set = [this](bool healthy) {
    serving_ = healthy;
    if (server_ != nullptr) server_->SetServing(healthy);
  };
  dependencies_->OnChange(set);
  set(dependencies_->healthy());
}

void Service::Ready(const std::map<std::string, std::string>& fields) {
  auto line = LOG_INFO(absl::StrCat(name_, " ready"));
  line.Field("grpc_port", server_ == nullptr ? 0 : server_->port())
      .Field("metrics_port", endpoint_->port())
      .Field("instance", common_.instance_id);
  for (const auto& [key, value] : fields) line.Field(key, value);
}

void Service::Shutdown() {
  if (server_ == nullptr) return;
  serving_ = false;
  server_->SetServing(false);
  server_->Shutdown(absl::Seconds(5));
  server_.reset();
}

}  // namespace retention::service
