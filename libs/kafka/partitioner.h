// The partition of a key, as the Java client's default partitioner computes it
// (murmur2, positive, modulo the partition count). Every producer of the suite uses
// this partitioner (librdkafka's murmur2_random), so a service can check that a
// record sits where its key says and write to an account's partition explicitly.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"

namespace retention::kafka {

// Java's Utils.murmur2 of the key's bytes.
int32_t Murmur2(absl::string_view key);

// The partition the default partitioner picks for `key` among `partitions` (> 0).
int32_t PartitionForKey(absl::string_view key, int32_t partitions);

}  // namespace retention::kafka
