// The shared wiring of a stateful service (health-score, churn-risk,
// reference-pipeline): Redis, the Kafka consumer and producer, the check that its
// inputs are co-partitioned, the state store and the stateful loop, readers for its
// gRPC API, feeders for its streaming calls, and the order things stop in. The
// service brings its engine (as a BatchFolder) and its gRPC API.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "libs/kafka/kafka_consumer.h"
#include "libs/kafka/kafka_producer.h"
#include "libs/redis/redis_client.h"
#include "libs/service/service.h"
#include "libs/stream/batch_folder.h"
#include "libs/stream/hub_feeder.h"
#include "libs/stream/redis_state_store.h"
#include "libs/stream/stateful_loop.h"

namespace retention::service {

struct StatefulSettings {
  std::string state_prefix;               // Redis key space, e.g. "health"
  std::vector<std::string> index_names;   // the sorted indexes accounts are ranked in
  std::string group_id;                   // Kafka consumer group of the replicas
  std::vector<std::string> input_topics;  // co-partitioned
  // The service's own signal topic, keyed by account and co-partitioned with the inputs
  // (empty: none): a rebuild reads back from it what subscribers last saw.
  std::string signal_topic;
  std::string quarantine_topic;
  size_t max_batch = 2000;
  absl::Duration poll_wait = absl::Milliseconds(100);
  int reader_connections = 8;  // Redis connections for gRPC reads
};

class StatefulService {
 public:
  // Connects to Redis and Kafka and checks the inputs; exits if it cannot (see Service).
  StatefulService(Service* service, StatefulSettings settings, stream::BatchFolder* folder);
  ~StatefulService();

  stream::AccountReader& reader() { return *reader_; }
  kafka::Producer& producer() { return *producer_; }
  stream::ServingGate& gate() { return gate_; }
  // The inputs' partition count.
  int32_t partitions() const { return partitions_; }

  // Streams `topic` from its end into `hub`, for server-streaming calls.
  template <typename Signal>
  void Feed(const std::string& topic, stream::SignalHub<Signal>* hub, const std::string& name) {
    feeders_.push_back(service_->OrFail(stream::HubFeeder<Signal>::Start(
        service_->common().kafka, topic, name, service_->common().instance_id, service_->common().startup_timeout,
        hub)));
  }
  // Something to close before the feeders stop (the hubs).
  void OnStop(std::function<void()> action) { on_stop_.push_back(std::move(action)); }

  // Runs the loop until SIGTERM or SIGINT (the batch in hand is finished), then stops
  // serving, stops the feeders and leaves the group. Returns the exit code.
  int Run();

 private:
  Service* service_;
  StatefulSettings settings_;
  int32_t partitions_ = 0;
  std::unique_ptr<redis::RedisClient> loop_redis_;
  std::unique_ptr<redis::RedisPool> reader_pool_;
  std::unique_ptr<stream::RedisStateStore> store_;
  std::unique_ptr<stream::AccountReader> reader_;
  std::unique_ptr<kafka::KafkaProducer> producer_;
  std::unique_ptr<kafka::KafkaConsumer> consumer_;
  std::unique_ptr<stream::LoopMetrics> metrics_;
  stream::ServingGate gate_;
  std::unique_ptr<stream::StatefulLoop> loop_;
  std::vector<std::shared_ptr<void>> feeders_;
  std::vector<std::function<void()>> on_stop_;
};

}  // namespace retention::service
