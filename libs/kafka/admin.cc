#include "libs/kafka/admin.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "libs/kafka/internal/conf.h"
#include "libs/status/status_macros.h"

namespace retention::kafka {
namespace {

// A client for admin requests, configured like every other client of the suite (the
// C API of its handle serves the Admin API, which the C++ API lacks).
absl::StatusOr<std::unique_ptr<RdKafka::Producer>> MakeClient(const KafkaSettings& kafka) {
  RETENTION_ASSIGN_OR_RETURN(auto conf, internal::MakeConf(kafka, {}));
  std::string error;
  std::unique_ptr<RdKafka::Producer> client(RdKafka::Producer::create(conf.get(), error));
  if (!client) return absl::InvalidArgumentError(absl::StrCat("kafka admin client: ", error));
  return client;
}

int TimeoutMs(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

// Waits for the answer to an admin request on `queue`.
absl::StatusOr<rd_kafka_event_t*> Await(rd_kafka_queue_t* queue, absl::Duration timeout, const char* what) {
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, TimeoutMs(timeout) + 1000);
  if (event == nullptr) return absl::DeadlineExceededError(absl::StrCat(what, ": no answer from the brokers"));
  if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    absl::Status s = absl::UnavailableError(absl::StrCat(what, ": ", rd_kafka_event_error_string(event)));
    rd_kafka_event_destroy(event);
    return s;
  }
  return event;
}

// Owns an admin request's queue and options.
struct Request {
  Request(rd_kafka_t* rk, rd_kafka_admin_op_t op, absl::Duration timeout)
      : queue(rd_kafka_queue_new(rk)), options(rd_kafka_AdminOptions_new(rk, op)) {
    char error[256];
    rd_kafka_AdminOptions_set_request_timeout(options, TimeoutMs(timeout), error, sizeof(error));
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_ALTERCONFIGS) {
      rd_kafka_AdminOptions_set_operation_timeout(options, TimeoutMs(timeout), error, sizeof(error));
    }
  }
  ~Request() {
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
  }
  rd_kafka_queue_t* queue;
  rd_kafka_AdminOptions_t* options;
};

}  // namespace

absl::Status CreateTopics(const KafkaSettings& kafka, const std::vector<TopicSpec>& topics, absl::Duration timeout) {
  if (topics.empty()) return absl::OkStatus();
  RETENTION_ASSIGN_OR_RETURN(auto client, MakeClient(kafka));
  char error[512];
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  const auto destroy = [&new_topics] { rd_kafka_NewTopic_destroy_array(new_topics.data(), new_topics.size()); };
  for (const TopicSpec& spec : topics) {
    rd_kafka_NewTopic_t* t =
        rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, spec.replication_factor, error, sizeof(error));
    if (t == nullptr) {
      destroy();
      return absl::InvalidArgumentError(absl::StrCat("topic ", spec.name, ": ", error));
    }
    for (const auto& [k, v] : spec.configs) rd_kafka_NewTopic_set_config(t, k.c_str(), v.c_str());
    new_topics.push_back(t);
  }
  Request request(client->c_ptr(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  rd_kafka_CreateTopics(client->c_ptr(), new_topics.data(), new_topics.size(), request.options, request.queue);
  auto event = Await(request.queue, timeout, "create topics");
  destroy();
  if (!event.ok()) return event.status();
  absl::Status status;
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(*event), &count);
  for (size_t i = 0; i < count && status.ok(); ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      status = absl::InternalError(absl::StrCat("create topic ", rd_kafka_topic_result_name(results[i]), ": ",
                                                rd_kafka_topic_result_error_string(results[i])));
    }
  }
  rd_kafka_event_destroy(*event);
  return status;
}

absl::StatusOr<std::map<std::string, TopicState>> DescribeTopics(const KafkaSettings& kafka,
                                                                 const std::vector<std::string>& names,
                                                                 bool with_configs, absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto client, MakeClient(kafka));
  std::map<std::string, TopicState> out;
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode code = client->metadata(true, nullptr, &raw, TimeoutMs(timeout));
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("Kafka brokers ", kafka.brokers, ": ", RdKafka::err2str(code)));
  }
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->err() != RdKafka::ERR_NO_ERROR) continue;
    if (std::find(names.begin(), names.end(), t->topic()) == names.end()) continue;
    TopicState& state = out[t->topic()];
    state.name = t->topic();
    state.partitions = static_cast<int>(t->partitions()->size());
  }
  if (!with_configs || out.empty()) return out;
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const auto& [name, state] : out) resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  Request request(client->c_ptr(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
  rd_kafka_DescribeConfigs(client->c_ptr(), resources.data(), resources.size(), request.options, request.queue);
  auto event = Await(request.queue, timeout, "describe topic configs");
  rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  if (!event.ok()) return event.status();
  size_t count = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(*event), &count);
  for (size_t i = 0; i < count; ++i) {
    auto it = out.find(rd_kafka_ConfigResource_name(described[i]));
    if (it == out.end() || rd_kafka_ConfigResource_error(described[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(described[i], &entries);
    for (size_t j = 0; j < entries; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(configs[j]);
      it->second.configs[rd_kafka_ConfigEntry_name(configs[j])] = value == nullptr ? "" : value;
    }
  }
  rd_kafka_event_destroy(*event);
  return out;
}

absl::Status SetTopicConfigs(const KafkaSettings& kafka, const std::string& topic,
                             const std::map<std::string, std::string>& configs, absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto client, MakeClient(kafka));
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  for (const auto& [k, v] : configs) rd_kafka_ConfigResource_set_config(resource, k.c_str(), v.c_str());
  Request request(client->c_ptr(), RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout);
  rd_kafka_AlterConfigs(client->c_ptr(), &resource, 1, request.options, request.queue);
  auto event = Await(request.queue, timeout, "alter topic configs");
  rd_kafka_ConfigResource_destroy(resource);
  if (!event.ok()) return event.status();
  absl::Status status;
  size_t count = 0;
  const rd_kafka_ConfigResource_t** results =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(*event), &count);
  for (size_t i = 0; i < count && status.ok(); ++i) {
    if (rd_kafka_ConfigResource_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = absl::InternalError(absl::StrCat("alter configs of ", topic, ": ",
                                                rd_kafka_ConfigResource_error_string(results[i])));
    }
  }
  rd_kafka_event_destroy(*event);
  return status;
}

absl::StatusOr<int> CheckCoPartitioned(const KafkaSettings& kafka, const std::vector<std::string>& topics,
                                       absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(auto described, DescribeTopics(kafka, topics, false, timeout));
  std::vector<std::string> missing;
  for (const std::string& t : topics) {
    if (described.count(t) == 0) missing.push_back(t);
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("topic(s) ", absl::StrJoin(missing, ", "), " do not exist (create them: retentionctl topics apply)"));
  }
  const int partitions = described[topics[0]].partitions;
  for (const std::string& t : topics) {
    if (described[t].partitions != partitions) {
      return absl::FailedPreconditionError(absl::StrCat(
          t, " has ", described[t].partitions, " partitions but ", topics[0], " has ", partitions,
          ": the topics a stateful service reads must be co-partitioned (same partition count and "
          "partitioner), so that all of one account's inputs reach one replica"));
    }
  }
  return partitions;
}

}  // namespace retention::kafka
