// Topic administration (librdkafka's Admin API): create topics. Used by the
// local tools and by tests that give each run its own topics.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace retention::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  std::map<std::string, std::string> configs;  // e.g. cleanup.policy=compact
};

// Creates the topics; one that already exists is not an error.
absl::Status CreateTopics(const std::string& brokers, const std::vector<TopicSpec>& topics,
                          absl::Duration timeout);

}  // namespace retention::kafka
