// Plain records, independent of librdkafka, so that service logic and its tests never
// touch the Kafka client.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace retention::kafka {

struct Header {
  std::string key;
  std::string value;
};

// A record read from a topic.
struct ConsumedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<Header> headers;
  int64_t timestamp_ms = 0;
};

// A record to write; the partition follows from the key.
struct OutgoingRecord {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<Header> headers;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

// The last header named `key`, or nullptr.
const std::string* FindHeader(const std::vector<Header>& headers, absl::string_view key);

// For each partition in `records`, the offset after its last record: what to commit.
std::vector<TopicPartitionOffset> NextOffsets(const std::vector<ConsumedRecord>& records);

// For each partition in `records`, the offset of its first record: where to rewind.
std::vector<TopicPartitionOffset> FirstOffsets(const std::vector<ConsumedRecord>& records);

}  // namespace retention::kafka
