// Flags every service shares: where Kafka and Redis are and how to authenticate to
// them, its ports, its name, its clock, its log level.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/config/flags.h"
#include "libs/kafka/settings.h"
#include "libs/redis/redis_client.h"

namespace retention::config {

struct CommonSettings {
  kafka::KafkaSettings kafka;  // brokers, client id, properties (secrets read)
  redis::RedisOptions redis;   // address, user, password (read)
  int grpc_port = 0;
  int metrics_port = 0;
  std::string metrics_bind;
  std::string instance_id;
  absl::Duration startup_timeout;
  // The service's clock: the wall clock, unless a test or demo runs it from
  // clock_start at clock_rate times real speed.
  std::optional<absl::Time> clock_start;
  double clock_rate = 1;
  absl::Time clock_until = absl::InfiniteFuture();  // where it stops
};

// Reads and checks the shared flags (after ParseFlags) for `service` (e.g.
// "health-score", in the Kafka client id); also applies --log_level. Errors name the
// flag, variable or file and never a secret.
absl::StatusOr<CommonSettings> ReadCommonFlags(absl::string_view service);

}  // namespace retention::config
