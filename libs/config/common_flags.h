// Flags every service shares: where Kafka and Redis are, its ports, its name, log level.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/flags.h"
#include "libs/kafka/settings.h"
#include "libs/redis/redis_client.h"

namespace retention::config {

struct CommonSettings {
  std::string kafka_brokers;
  HostPort redis;
  int grpc_port = 0;
  int metrics_port = 0;
  std::string instance_id;
  absl::Duration startup_timeout;
};

// Reads and checks the shared flags (after ParseFlags); also applies --log_level.
absl::StatusOr<CommonSettings> ReadCommonFlags();

// How `service` reaches Redis and Kafka, from the shared settings.
redis::RedisOptions RedisOptionsFor(const CommonSettings& common);
kafka::KafkaSettings KafkaSettingsFor(const CommonSettings& common, absl::string_view service);

}  // namespace retention::config
