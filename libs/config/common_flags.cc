#include "libs/config/common_flags.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "libs/log/log.h"

extern char** environ;

ABSL_FLAG(std::string, kafka_brokers, "127.0.0.1:9092", "Kafka bootstrap servers, comma separated host:port");
ABSL_FLAG(std::string, kafka_properties, "",
          "File of further librdkafka properties (name=value lines, e.g. security.protocol=SASL_SSL); "
          "values of the form ${file:/path} are read from that file. RETENTION_KAFKA_<NAME> variables "
          "set properties too (RETENTION_KAFKA_SASL_MECHANISMS sets sasl.mechanisms)");
ABSL_FLAG(std::string, redis_addr, "127.0.0.1:6379", "Redis primary (or its managed endpoint), host:port");
ABSL_FLAG(std::string, redis_user, "", "Redis ACL user (empty: the default user)");
ABSL_FLAG(std::string, redis_password_file, "", "File holding the Redis password (empty: no AUTH)");
ABSL_FLAG(int, grpc_port, 50051, "Port of the gRPC API (0: any free port)");
ABSL_FLAG(int, metrics_port, 9464, "Port of /metrics, /livez and /readyz (0: any free port)");
ABSL_FLAG(std::string, metrics_bind, "127.0.0.1",
          "Address /metrics, /livez and /readyz listen on (0.0.0.0 to let Prometheus and probes in)");
ABSL_FLAG(std::string, instance_id, "",
          "Stable name of this replica (default: the host name); Kafka group membership and "
          "transactional ids derive from it, so a restarted replica fences its previous incarnation");
ABSL_FLAG(std::string, log_level, "info", "Minimum log level: debug, info, warn or error");
ABSL_FLAG(absl::Duration, startup_timeout, absl::Seconds(15),
          "How long to wait for Kafka and Redis at start-up before giving up");
ABSL_FLAG(std::string, clock_start, "",
          "Tests and demos only: run the service's clock from this RFC 3339 time instead of the wall clock");
ABSL_FLAG(double, clock_rate, 1,
          "Tests and demos only: with --clock_start, how many times faster than real time the clock runs "
          "(0: it stays at --clock_start)");
ABSL_FLAG(std::string, clock_until, "",
          "Tests and demos only: with --clock_start, the RFC 3339 time at which the clock stops");

namespace retention::config {
namespace {

absl::Status CheckPort(int port, absl::string_view flag) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", port, ": expected 0-65535"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, absl::string_view flag) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--", flag, "=", path, ": cannot read the file"));
  std::stringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  absl::StripTrailingAsciiWhitespace(&secret);
  if (secret.empty()) return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", path, ": the file is empty"));
  return secret;
}

}  // namespace

absl::StatusOr<CommonSettings> ReadCommonFlags(absl::string_view service) {
  CommonSettings settings;
  settings.instance_id = absl::GetFlag(FLAGS_instance_id);
  if (settings.instance_id.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    settings.instance_id = host;
  }
  settings.kafka.brokers = absl::GetFlag(FLAGS_kafka_brokers);
  if (settings.kafka.brokers.empty()) {
    return absl::InvalidArgumentError("--kafka_brokers is empty: expected host:port[,host:port]");
  }
  settings.kafka.client_id = absl::StrCat(service, "-", settings.instance_id);
  auto properties = kafka::LoadKafkaProperties(absl::GetFlag(FLAGS_kafka_properties), environ);
  if (!properties.ok()) return properties.status();
  settings.kafka.properties = *std::move(properties);
  auto redis = ParseHostPort(absl::GetFlag(FLAGS_redis_addr), "--redis_addr");
  if (!redis.ok()) return redis.status();
  settings.redis.host = redis->host;
  settings.redis.port = redis->port;
  settings.redis.user = absl::GetFlag(FLAGS_redis_user);
  if (const std::string file = absl::GetFlag(FLAGS_redis_password_file); !file.empty()) {
    auto password = ReadSecretFile(file, "redis_password_file");
    if (!password.ok()) return password.status();
    settings.redis.password = *std::move(password);
  }
  settings.grpc_port = absl::GetFlag(FLAGS_grpc_port);
  settings.metrics_port = absl::GetFlag(FLAGS_metrics_port);
  settings.metrics_bind = absl::GetFlag(FLAGS_metrics_bind);
  if (auto s = CheckPort(settings.grpc_port, "grpc_port"); !s.ok()) return s;
  if (auto s = CheckPort(settings.metrics_port, "metrics_port"); !s.ok()) return s;
  settings.startup_timeout = absl::GetFlag(FLAGS_startup_timeout);
  if (settings.startup_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--startup_timeout must be positive");
  }
  if (const std::string start = absl::GetFlag(FLAGS_clock_start); !start.empty()) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, start, &t, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--clock_start=\"", start, "\": expected RFC 3339: ", error));
    }
    settings.clock_start = t;
  }
  if (const std::string until = absl::GetFlag(FLAGS_clock_until); !until.empty()) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, until, &t, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--clock_until=\"", until, "\": expected RFC 3339: ", error));
    }
    if (!settings.clock_start.has_value() || t < *settings.clock_start) {
      return absl::InvalidArgumentError(
          absl::StrCat("--clock_until=\"", until, "\": needs --clock_start, and must not be before it"));
    }
    settings.clock_until = t;
  }
  settings.clock_rate = absl::GetFlag(FLAGS_clock_rate);
  if (!(settings.clock_rate >= 0 && settings.clock_rate <= 1e7)) {
    return absl::InvalidArgumentError(absl::StrCat("--clock_rate=", settings.clock_rate, ": expected 0-10000000"));
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

}  // namespace retention::config
