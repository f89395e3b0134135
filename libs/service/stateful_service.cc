#include "libs/service/stateful_service.h"

#include "absl/strings/str_cat.h"
#include "libs/config/flags.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/topic_reader.h"
#include "libs/log/log.h"

namespace retention::service {

StatefulService::StatefulService(Service* service, StatefulSettings settings, stream::BatchFolder* folder)
    : service_(service), settings_(std::move(settings)) {
  const config::CommonSettings& common = service->common();
  if (settings_.state_prefix.empty() || settings_.state_prefix.find_first_of(" {}") != std::string::npos) {
    config::ExitOnConfigError(service->name(), absl::InvalidArgumentError(absl::StrCat(
                                                   "--state_prefix=\"", settings_.state_prefix,
                                                   "\": expected a non-empty key prefix without spaces or braces")));
  }
  loop_redis_ = std::make_unique<redis::RedisClient>(common.redis);
  if (auto s = loop_redis_->ConnectWithin(common.startup_timeout); !s.ok()) service->Fail(s);
  reader_pool_ = std::make_unique<redis::RedisPool>(common.redis, settings_.reader_connections);
  store_ = std::make_unique<stream::RedisStateStore>(loop_redis_.get(), settings_.state_prefix, settings_.index_names);
  reader_ = std::make_unique<stream::AccountReader>(reader_pool_.get(), settings_.state_prefix);
  std::vector<std::string> co_partitioned = settings_.input_topics;
  if (!settings_.signal_topic.empty()) co_partitioned.push_back(settings_.signal_topic);
  partitions_ = service->OrFail(kafka::CheckCoPartitioned(common.kafka, co_partitioned, common.startup_timeout));

  kafka::ProducerOptions producer_options;
  producer_options.kafka = common.kafka;
  producer_ = service->OrFail(kafka::KafkaProducer::Create(producer_options, common.startup_timeout));

  stream::LoopSettings loop_settings;
  loop_settings.service = service->name();
  loop_settings.input_topics = settings_.input_topics;
  loop_settings.partitions = partitions_;
  loop_settings.quarantine_topic = settings_.quarantine_topic;
  if (!settings_.signal_topic.empty()) {
    loop_settings.read_own_signals = [kafka = common.kafka, topic = settings_.signal_topic,
                                      timeout = common.startup_timeout](int32_t partition, const auto& handle) {
      return kafka::ReadPartition(kafka, topic, partition, handle, timeout);
    };
  }
  loop_settings.max_batch = settings_.max_batch;
  loop_settings.poll_wait = settings_.poll_wait;
  metrics_ = std::make_unique<stream::LoopMetrics>(service->registry(), service->metric_prefix(), service->name());
  loop_ = std::make_unique<stream::StatefulLoop>(loop_settings, folder, store_.get(), producer_.get(), &service->clock(),
                                                 &service->dependencies(), metrics_.get(), &service->liveness(), &gate_);
  kafka::ConsumerOptions consumer_options;
  consumer_options.kafka = common.kafka;
  consumer_options.group_id = settings_.group_id;
  consumer_options.group_instance_id = absl::StrCat(service->name(), "-", common.instance_id);
  loop_->Attach(consumer_options);
  consumer_ = service->OrFail(kafka::KafkaConsumer::Create(consumer_options, common.startup_timeout));
}

StatefulService::~StatefulService() = default;

int StatefulService::Run() {
  loop_->Run(*consumer_, service_->stop_requested());
  LOG_INFO(absl::StrCat(service_->name(), " stopping"));
  for (const auto& action : on_stop_) action();
  service_->Shutdown();
  feeders_.clear();  // stops reading the signal topics
  consumer_->Close();
  LOG_INFO(absl::StrCat(service_->name(), " stopped"));
  return 0;
}

}  // namespace retention::service
