// Topic administration over librdkafka's Admin API: create topics, read their
// partition counts and configuration, change their configuration. Used by
// `retentionctl topics apply`, by the services' start-up checks (co-partitioned
// inputs) and by tests that give each run its own topics.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/kafka/settings.h"

namespace retention::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = -1;  // -1: the broker's default
  std::map<std::string, std::string> configs;  // e.g. cleanup.policy=compact
};

struct TopicState {
  std::string name;
  int partitions = 0;
  // The topic's configuration as the broker reports it (only when asked for).
  std::map<std::string, std::string> configs;
};

// Creates the topics; one that already exists is not an error.
absl::Status CreateTopics(const KafkaSettings& kafka, const std::vector<TopicSpec>& topics, absl::Duration timeout);

// The topics that exist among `names`, by name; with their configuration if asked.
absl::StatusOr<std::map<std::string, TopicState>> DescribeTopics(const KafkaSettings& kafka,
                                                                 const std::vector<std::string>& names,
                                                                 bool with_configs, absl::Duration timeout);

// Sets the topic's dynamic configuration to `configs` (keys not given go back to
// their defaults: the caller owns the topic's configuration).
absl::Status SetTopicConfigs(const KafkaSettings& kafka, const std::string& topic,
                             const std::map<std::string, std::string>& configs, absl::Duration timeout);

// FAILED_PRECONDITION unless every topic exists with the same partition count: the
// inputs of a stateful service must be co-partitioned. Returns the common count.
absl::StatusOr<int> CheckCoPartitioned(const KafkaSettings& kafka, const std::vector<std::string>& topics,
                                       absl::Duration timeout);

}  // namespace retention::kafka
