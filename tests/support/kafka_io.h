// Kafka from a test's side: create topics, write raw records as an upstream producer
// would, and read a topic back as a read_committed subscriber would.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "libs/kafka/record.h"
#include "libs/kafka/settings.h"

namespace retention::testing {

// The settings of a client reaching `brokers` (default KAFKA_BROKERS), with the
// properties of RETENTION_KAFKA_PROPERTIES / RETENTION_KAFKA_* (e.g. SASL_SSL).
kafka::KafkaSettings KafkaFor(std::string brokers = "");

// `brokers` defaults to KAFKA_BROKERS.
void CreateTopics(const std::vector<std::string>& names, int partitions = 3, std::string brokers = "");

// Produces and waits for every delivery (fails the test otherwise).
void ProduceAll(const std::string& topic, const std::vector<kafka::OutgoingRecord>& records,
                std::string brokers = "");

// Reads `topic` from the beginning with read_committed, until every partition has been
// read to its end (and at least `min_records` were seen), or `timeout` passes.
std::vector<kafka::ConsumedRecord> ReadTopic(const std::string& topic, size_t min_records,
                                             absl::Duration timeout, std::string brokers = "");

// Follows a topic from its beginning in the background, as a read_committed
// subscriber would, keeping every record read.
class TopicWatcher {
 public:
  explicit TopicWatcher(std::string topic, std::string brokers = "");
  ~TopicWatcher();

  std::vector<kafka::ConsumedRecord> Records() const;
  // Waits until `condition` holds over the records read so far (checked as they come).
  bool WaitUntil(const std::function<bool(const std::vector<kafka::ConsumedRecord>&)>& condition,
                 absl::Duration timeout) const;

 private:
  mutable absl::Mutex mu_;
  std::vector<kafka::ConsumedRecord> records_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace retention::testing
