#include "libs/kafka/record.h"

#include <algorithm>
#include <map>
#include <utility>

namespace retention::kafka {
namespace {

template <typename Pick>
std::vector<TopicPartitionOffset> PerPartition(const std::vector<ConsumedRecord>& records,
                                               Pick pick) {
  std::map<std::pair<std::string, int32_t>, int64_t> by_partition;
  for (const ConsumedRecord& r : records) {
    auto [it, inserted] = by_partition.try_emplace({r.topic, r.partition}, r.offset);
    if (!inserted) it->second = pick(it->second, r.offset);
  }
  std::vector<TopicPartitionOffset> out;
  out.reserve(by_partition.size());
  for (const auto& [tp, offset] : by_partition) out.push_back({tp.first, tp.second, offset});
  return out;
}

}  // namespace

const std::string* FindHeader(const std::vector<Header>& headers, absl::string_view key) {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

std::vector<TopicPartitionOffset> NextOffsets(const std::vector<ConsumedRecord>& records) {
  auto out = PerPartition(records, [](int64_t a, int64_t b) { return std::max(a, b); });
  for (TopicPartitionOffset& tpo : out) ++tpo.offset;
  return out;
}

std::vector<TopicPartitionOffset> FirstOffsets(const std::vector<ConsumedRecord>& records) {
  return PerPartition(records, [](int64_t a, int64_t b) { return std::min(a, b); });
}

}  // namespace retention::kafka
