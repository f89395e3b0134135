// Plain records, independent of librdkafka, so that service logic and its tests never
// touch the Kafka client.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
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

inline constexpr int32_t kPartitionByKey = -1;

// A record to write; the partition follows from the key unless one is given.
struct OutgoingRecord {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<Header> headers;
  int32_t partition = kPartitionByKey;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  friend bool operator<(const TopicPartition& a, const TopicPartition& b) {
    return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
  }
  friend bool operator==(const TopicPartition& a, const TopicPartition& b) {
    return a.topic == b.topic && a.partition == b.partition;
  }
};

// An offset meaning "none": nothing committed, or no position yet.
inline constexpr int64_t kNoOffset = -1001;  // RD_KAFKA_OFFSET_INVALID

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
