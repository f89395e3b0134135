// How to reach Kafka, shared by consumers, producers and the admin helpers.
#pragma once

#include <map>
#include <string>

#include "absl/time/time.h"

namespace retention::kafka {

struct KafkaSettings {
  // bootstrap.servers
  std::string brokers;
  // client.id, shown in broker logs and metrics.
  std::string client_id = "retention";
  // Any further librdkafka properties, applied last.
  std::map<std::string, std::string> properties;
};

}  // namespace retention::kafka
