#include "libs/kafka/consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/kafka/internal/conf.h"
#include "libs/kafka/internal/message.h"
#include "libs/log/log.h"

namespace retention::kafka {

// Applies cooperative (incremental) assignments and tells the owner what changed.
class RebalanceHandler : public RdKafka::RebalanceCb {
 public:
  explicit RebalanceHandler(KafkaConsumer* owner) : owner_(owner) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    std::vector<TopicPartitionOffset> changed;
    for (const RdKafka::TopicPartition* tp : partitions) {
      changed.push_back({tp->topic(), tp->partition(), tp->offset()});
    }
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      if (owner_->options_.on_assigned) {
        for (TopicPartitionOffset& tpo : changed) tpo.offset = kUseCommitted;
        owner_->options_.on_assigned(changed);
        for (size_t i = 0; i < partitions.size(); ++i) partitions[i]->set_offset(changed[i].offset);
      }
      Report(consumer->incremental_assign(partitions), "assign");
      for (const TopicPartitionOffset& tpo : changed) {
        owner_->positions_[{tpo.topic, tpo.partition}] = -1;
      }
      LOG_INFO("partitions assigned").Field("partitions", Describe(changed));
    } else {
      if (owner_->options_.on_revoked) owner_->options_.on_revoked(changed);
      Report(consumer->incremental_unassign(partitions), "unassign");
      for (const TopicPartitionOffset& tpo : changed) {
        owner_->positions_.erase({tpo.topic, tpo.partition});
        owner_->revoked_in_poll_.insert({tpo.topic, tpo.partition});
      }
      LOG_INFO(consumer->assignment_lost() ? "partitions lost" : "partitions revoked")
          .Field("partitions", Describe(changed));
    }
  }

 private:
  static std::string Describe(const std::vector<TopicPartitionOffset>& tps) {
    return absl::StrJoin(tps, ",", [](std::string* out, const TopicPartitionOffset& tpo) {
      absl::StrAppend(out, tpo.topic, "/", tpo.partition);
    });
  }
  static void Report(RdKafka::Error* error, const char* what) {
    if (error == nullptr) return;
    LOG_ERROR("kafka rebalance failed").Field("step", what).Field("error", error->str());
    delete error;
  }

  KafkaConsumer* owner_;
};

absl::StatusOr<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(const ConsumerOptions& options,
                                                                     absl::Duration startup_timeout) {
  if (options.group_id.empty()) return absl::InvalidArgumentError("kafka consumer: empty group id");
  if (options.topics.empty()) return absl::InvalidArgumentError("kafka consumer: no topics");
  std::unique_ptr<KafkaConsumer> self(new KafkaConsumer());
  self->options_ = options;
  self->rebalance_ = std::make_unique<RebalanceHandler>(self.get());
  self->events_ = std::make_unique<internal::ClientEvents>();

  std::map<std::string, std::string> defaults = {
      {"group.id", options.group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"isolation.level", "read_committed"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"session.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(options.session_timeout))},
      {"enable.partition.eof", "false"},
  };
  if (!options.group_instance_id.empty()) defaults["group.instance.id"] = options.group_instance_id;
  auto conf = internal::MakeConf(options.kafka, defaults);
  if (!conf.ok()) return conf.status();
  std::string error;
  if ((*conf)->set("rebalance_cb", self->rebalance_.get(), error) != RdKafka::Conf::CONF_OK ||
      (*conf)->set("event_cb", self->events_.get(), error) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  self->consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), error));
  if (!self->consumer_) return absl::InvalidArgumentError(absl::StrCat("kafka consumer: ", error));
  if (auto s = internal::CheckReachable(*self->consumer_, options.kafka.brokers,
                                        absl::ToInt64Milliseconds(startup_timeout));
      !s.ok()) {
    self->consumer_->close();
    self->closed_ = true;
    return s;
  }
  if (auto s = internal::FromCode(self->consumer_->subscribe(options.topics), "subscribe"); !s.ok()) {
    return s;
  }
  return self;
}

KafkaConsumer::~KafkaConsumer() { Close(); }

void KafkaConsumer::Close() {
  if (closed_ || !consumer_) return;
  closed_ = true;
  consumer_->close();
}

absl::StatusOr<std::vector<ConsumedRecord>> KafkaConsumer::PollBatch(size_t max_records,
                                                                     absl::Duration max_wait) {
  std::vector<ConsumedRecord> batch;
  batch.reserve(std::min<size_t>(max_records, 16384));
  revoked_in_poll_.clear();
  absl::Status broker_error;
  const absl::Time deadline = absl::Now() + max_wait;
  while (batch.size() < max_records) {
    // Wait for the first record only; after it, take what is already here.
    int timeout_ms = 0;
    if (batch.empty()) {
      timeout_ms = static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    }
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(timeout_ms));
    if (msg->err() == RdKafka::ERR__TIMED_OUT) break;
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      if (msg->err() == RdKafka::ERR__PARTITION_EOF) continue;
      broker_error = internal::FromCode(msg->err(), absl::StrCat("consume: ", msg->errstr()));
      break;
    }
    ConsumedRecord& r = batch.emplace_back(internal::ToRecord(*msg));
    positions_[{r.topic, r.partition}] = r.offset + 1;
  }
  if (!revoked_in_poll_.empty()) {
    batch.erase(std::remove_if(batch.begin(), batch.end(),
                               [this](const ConsumedRecord& r) {
                                 return revoked_in_poll_.count({r.topic, r.partition}) > 0;
                               }),
                batch.end());
  }
  if (absl::Status reported = events_->Take(); broker_error.ok()) broker_error = reported;
  if (batch.empty() && !broker_error.ok()) return broker_error;
  return batch;
}

absl::Status KafkaConsumer::Commit(const std::vector<TopicPartitionOffset>& offsets) {
  std::vector<RdKafka::TopicPartition*> tps;
  for (const TopicPartitionOffset& tpo : offsets) {
    tps.push_back(RdKafka::TopicPartition::create(tpo.topic, tpo.partition, tpo.offset));
  }
  const RdKafka::ErrorCode code = consumer_->commitSync(tps);
  absl::Status status = internal::FromCode(code, "commit");
  if (status.ok()) {
    for (const RdKafka::TopicPartition* tp : tps) {
      if (tp->err() != RdKafka::ERR_NO_ERROR) {
        status = internal::FromCode(tp->err(), absl::StrCat("commit ", tp->topic(), "/", tp->partition()));
        break;
      }
    }
  }
  RdKafka::TopicPartition::destroy(tps);
  return status;
}

absl::Status KafkaConsumer::Seek(const std::vector<TopicPartitionOffset>& offsets) {
  for (const TopicPartitionOffset& tpo : offsets) {
    if (positions_.count({tpo.topic, tpo.partition}) == 0) continue;  // no longer ours
    std::unique_ptr<RdKafka::TopicPartition> tp(
        RdKafka::TopicPartition::create(tpo.topic, tpo.partition, tpo.offset));
    if (auto s = internal::FromCode(consumer_->seek(*tp, 10000),
                                    absl::StrCat("seek ", tpo.topic, "/", tpo.partition));
        !s.ok()) {
      return s;
    }
    positions_[{tpo.topic, tpo.partition}] = tpo.offset;
  }
  return absl::OkStatus();
}

absl::Status KafkaConsumer::CheckBrokers(absl::Duration timeout) {
  return internal::CheckReachable(*consumer_, options_.kafka.brokers,
                                  static_cast<int>(absl::ToInt64Milliseconds(timeout)));
}

std::unique_ptr<RdKafka::ConsumerGroupMetadata> KafkaConsumer::GroupMetadata() {
  return std::unique_ptr<RdKafka::ConsumerGroupMetadata>(consumer_->groupMetadata());
}

int64_t KafkaConsumer::Lag() {
  int64_t lag = 0;
  for (const auto& [tp, next] : positions_) {
    int64_t low = 0;
    int64_t high = 0;
    if (consumer_->get_watermark_offsets(tp.first, tp.second, &low, &high) != RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    const int64_t from = next >= 0 ? next : low;
    if (high > from) lag += high - from;
  }
  return lag;
}

}  // namespace retention::kafka
