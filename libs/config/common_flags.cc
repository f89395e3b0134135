#include "libs/config/common_flags.h"

#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "libs/log/log.h"

ABSL_FLAG(std::string, kafka_brokers, "127.0.0.1:9092",
          "Kafka bootstrap servers, comma separated host:port");
ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6379", "Redis server, host:port");
ABSL_FLAG(int, grpc_port, 50051, "Port of the gRPC API (0: any free port)");
ABSL_FLAG(int, metrics_port, 9464, "Port of the Prometheus /metrics endpoint (0: any free port)");
ABSL_FLAG(std::string, instance_id, "",
          "Stable name of this replica (default: the host name); Kafka transactional ids "
          "derive from it, so a restarted replica fences its previous incarnation");
ABSL_FLAG(std::string, log_level, "info", "Minimum log level: debug, info, warn or error");
ABSL_FLAG(absl::Duration, startup_timeout, absl::Seconds(15),
          "How long to wait for Kafka and Redis at start-up before giving up");

namespace retention::config {
namespace {

absl::Status CheckPort(int port, absl::string_view flag) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", port, ": expected 0-65535"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CommonSettings> ReadCommonFlags() {
  CommonSettings settings;
  settings.kafka_brokers = absl::GetFlag(FLAGS_kafka_brokers);
  if (settings.kafka_brokers.empty()) {
    return absl::InvalidArgumentError("--kafka_brokers is empty: expected host:port[,host:port]");
  }
  auto redis = ParseHostPort(absl::GetFlag(FLAGS_redis_addr), "--redis_addr");
  if (!redis.ok()) return redis.status();
  settings.redis = *redis;
  settings.grpc_port = absl::GetFlag(FLAGS_grpc_port);
  settings.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  if (auto s = CheckPort(settings.grpc_port, "grpc_port"); !s.ok()) return s;
  if (auto s = CheckPort(settings.metrics_port, "metrics_port"); !s.ok()) return s;
  settings.instance_id = absl::GetFlag(FLAGS_instance_id);
  if (settings.instance_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    settings.instance_id = host;
  }
  settings.startup_timeout = absl::GetFlag(FLAGS_startup_timeout);
  if (settings.startup_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--startup_timeout must be positive");
  }
  logging::Level level;
  const std::string level_text = absl::GetFlag(FLAGS_log_level);
  if (!logging::ParseLevel(level_text, &level)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--log_level=\"", level_text, "\": expected debug, info, warn or error"));
  }
  logging::SetMinLevel(level);
  return settings;
}

redis::RedisOptions RedisOptionsFor(const CommonSettings& common) {
  redis::RedisOptions options;
  options.host = common.redis.host;
  options.port = common.redis.port;
  return options;
}

kafka::KafkaSettings KafkaSettingsFor(const CommonSettings& common, absl::string_view service) {
  kafka::KafkaSettings settings;
  settings.brokers = common.kafka_brokers;
  settings.client_id = absl::StrCat(service, "-", common.instance_id);
  return settings;
}

}  // namespace retention::config
