#include "libs/kafka/kafka_consumer.h"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "libs/kafka/internal/conf.h"
#include "libs/kafka/internal/message.h"
#include "libs/log/log.h"
#include "libs/status/status_macros.h"

namespace retention::kafka {
namespace {

// librdkafka's partition list, owned.
class PartitionList {
 public:
  PartitionList() = default;
  ~PartitionList() { RdKafka::TopicPartition::destroy(list_); }
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;
  void Add(const std::string& topic, int32_t partition, int64_t offset = kNoOffset) {
    list_.push_back(RdKafka::TopicPartition::create(topic, partition, offset));
  }
  std::vector<RdKafka::TopicPartition*>& get() { return list_; }

 private:
  std::vector<RdKafka::TopicPartition*> list_;
};

// The first per-partition error of a call that returned per-partition results.
absl::Status FirstPartitionError(const std::vector<RdKafka::TopicPartition*>& list, const char* what) {
  for (const RdKafka::TopicPartition* tp : list) {
    if (tp->err() != RdKafka::ERR_NO_ERROR) {
      return internal::FromCode(tp->err(), absl::StrCat(what, " ", tp->topic(), "/", tp->partition()));
    }
  }
  return absl::OkStatus();
}

// librdkafka's group metadata for transactions.
class KafkaGroupMetadata final : public GroupMetadata {
 public:
  explicit KafkaGroupMetadata(RdKafka::ConsumerGroupMetadata* metadata) : metadata_(metadata) {}
  RdKafka::ConsumerGroupMetadata* get() const { return metadata_.get(); }

 private:
  std::unique_ptr<RdKafka::ConsumerGroupMetadata> metadata_;
};

}  // namespace

// Applies assignments (cooperative or eager, as the group's protocol says) and tells
// the owner what changed.
class RebalanceHandler : public RdKafka::RebalanceCb {
 public:
  explicit RebalanceHandler(KafkaConsumer* owner) : owner_(owner) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      std::vector<TopicPartitionOffset> assigned;
      for (const RdKafka::TopicPartition* tp : partitions) assigned.push_back({tp->topic(), tp->partition(), kNoOffset});
      if (owner_->options_.on_assigned) owner_->options_.on_assigned(assigned);
      for (size_t i = 0; i < partitions.size(); ++i) partitions[i]->set_offset(assigned[i].offset);
      if (cooperative) {
        Report(consumer->incremental_assign(partitions), "assign");
      } else {
        Report(consumer->assign(partitions), "assign");
      }
      for (const TopicPartitionOffset& tpo : assigned) {
        owner_->positions_[{tpo.topic, tpo.partition}] = tpo.offset >= 0 ? tpo.offset : kNoOffset;
      }
      LOG_INFO("partitions assigned").Field("partitions", Describe(partitions));
      return;
    }
    std::vector<TopicPartition> revoked;
    for (const RdKafka::TopicPartition* tp : partitions) revoked.push_back({tp->topic(), tp->partition()});
    const bool lost = consumer->assignment_lost();
    if (owner_->options_.on_revoked) owner_->options_.on_revoked(revoked, lost);
    if (cooperative) {
      Report(consumer->incremental_unassign(partitions), "unassign");
    } else {
      Report(consumer->unassign(), "unassign");
    }
    for (const TopicPartition& tp : revoked) {
      owner_->positions_.erase(tp);
      owner_->revoked_in_poll_.insert(tp);
    }
    LOG_INFO(lost ? "partitions lost" : "partitions revoked").Field("partitions", Describe(partitions));
  }

 private:
  static std::string Describe(const std::vector<RdKafka::TopicPartition*>& tps) {
    return absl::StrJoin(tps, ",", [](std::string* out, const RdKafka::TopicPartition* tp) {
      absl::StrAppend(out, tp->topic(), "/", tp->partition());
    });
  }
  static void Report(RdKafka::Error* error, const char* what) {
    if (error == nullptr) return;
    LOG_ERROR("kafka rebalance failed").Field("step", what).Field("error", error->str());
    delete error;
  }
  static void Report(RdKafka::ErrorCode code, const char* what) {
    if (code == RdKafka::ERR_NO_ERROR) return;
    LOG_ERROR("kafka rebalance failed").Field("step", what).Field("error", RdKafka::err2str(code));
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
      {"auto.offset.reset", options.auto_offset_reset},
      {"isolation.level", "read_committed"},
      {"partition.assignment.strategy",
       options.assignment == Assignment::kCoPartitioned ? "range" : "cooperative-sticky"},
      {"session.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(options.session_timeout))},
      // The end-of-partition event carries the position past a trailing transaction
      // marker, which no record shows: without it lag never reaches 0.
      {"enable.partition.eof", "true"},
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
                                        static_cast<int>(absl::ToInt64Milliseconds(startup_timeout)));
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
  // Closed in the background, serving its events here until done or out of time: a
  // static member whose session timed out (a paused process) can otherwise block in
  // close for good.
  std::unique_ptr<RdKafka::Queue> queue(RdKafka::Queue::create(consumer_.get()));
  if (RdKafka::Error* error = consumer_->close(queue.get()); error != nullptr) {
    LOG_WARN("kafka consumer close failed").Field("error", error->str());
    delete error;
  }
  const absl::Time deadline = absl::Now() + options_.close_timeout;
  while (!consumer_->closed() && absl::Now() < deadline) {
    queue->poll(100);  // serves the rebalance callback, if any
  }
  if (!consumer_->closed()) {
    LOG_WARN("leaving the consumer group did not finish in time; the group drops this member at its session timeout")
        .Field("group", options_.group_id);
    // Destroying the handle would wait for the close again: leave it to the exit.
    (void)consumer_.release();
    (void)queue.release();
  }
}

absl::StatusOr<std::vector<ConsumedRecord>> KafkaConsumer::PollBatch(size_t max_records, absl::Duration max_wait) {
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
    if (msg->err() == RdKafka::ERR__PARTITION_EOF) {
      auto it = positions_.find({msg->topic_name(), msg->partition()});
      if (it != positions_.end()) it->second = std::max(it->second, msg->offset());
      continue;
    }
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
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
  if (offsets.empty()) return absl::OkStatus();
  PartitionList list;
  for (const TopicPartitionOffset& tpo : offsets) list.Add(tpo.topic, tpo.partition, tpo.offset);
  absl::Status status = internal::FromCode(consumer_->commitSync(list.get()), "commit");
  if (status.ok()) status = FirstPartitionError(list.get(), "commit");
  return status;
}

absl::StatusOr<std::vector<TopicPartitionOffset>> KafkaConsumer::Committed(
    const std::vector<TopicPartition>& partitions, absl::Duration timeout) {
  PartitionList list;
  for (const TopicPartition& tp : partitions) list.Add(tp.topic, tp.partition);
  if (auto s = internal::FromCode(
          consumer_->committed(list.get(), static_cast<int>(absl::ToInt64Milliseconds(timeout))), "committed offsets");
      !s.ok()) {
    return s;
  }
  if (auto s = FirstPartitionError(list.get(), "committed offset of"); !s.ok()) return s;
  std::vector<TopicPartitionOffset> out;
  for (const RdKafka::TopicPartition* tp : list.get()) {
    out.push_back({tp->topic(), tp->partition(), tp->offset() >= 0 ? tp->offset() : kNoOffset});
  }
  return out;
}

absl::Status KafkaConsumer::Seek(const std::vector<TopicPartitionOffset>& offsets) {
  for (const TopicPartitionOffset& tpo : offsets) {
    auto position = positions_.find({tpo.topic, tpo.partition});
    if (position == positions_.end()) continue;  // no longer ours
    std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(tpo.topic, tpo.partition, tpo.offset));
    if (auto s = internal::FromCode(consumer_->seek(*tp, 10000), absl::StrCat("seek ", tpo.topic, "/", tpo.partition));
        !s.ok()) {
      return s;
    }
    position->second = tpo.offset;
  }
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Pause(const std::vector<TopicPartition>& partitions) {
  PartitionList list;
  for (const TopicPartition& tp : partitions) list.Add(tp.topic, tp.partition);
  RETENTION_RETURN_IF_ERROR(internal::FromCode(consumer_->pause(list.get()), "pause"));
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Resume(const std::vector<TopicPartition>& partitions) {
  PartitionList list;
  for (const TopicPartition& tp : partitions) list.Add(tp.topic, tp.partition);
  RETENTION_RETURN_IF_ERROR(internal::FromCode(consumer_->resume(list.get()), "resume"));
  return absl::OkStatus();
}

absl::Status KafkaConsumer::CheckBrokers(absl::Duration timeout) {
  return internal::CheckReachable(*consumer_, options_.kafka.brokers,
                                  static_cast<int>(absl::ToInt64Milliseconds(timeout)));
}

std::unique_ptr<GroupMetadata> KafkaConsumer::GroupInfo() {
  return std::make_unique<KafkaGroupMetadata>(consumer_->groupMetadata());
}

std::map<TopicPartition, int64_t> KafkaConsumer::Lags() {
  std::map<TopicPartition, int64_t> lags;
  for (const auto& [tp, next] : positions_) {
    int64_t low = 0;
    int64_t high = 0;
    if (consumer_->get_watermark_offsets(tp.topic, tp.partition, &low, &high) != RdKafka::ERR_NO_ERROR || high < 0) {
      lags[tp] = 0;
      continue;
    }
    const int64_t from = next >= 0 ? next : low;
    lags[tp] = std::max<int64_t>(0, high - from);
  }
  return lags;
}

namespace internal {
// For KafkaProducer: the librdkafka metadata behind a GroupMetadata of this consumer.
RdKafka::ConsumerGroupMetadata* NativeGroupMetadata(const GroupMetadata& group) {
  return static_cast<const KafkaGroupMetadata&>(group).get();
}
}  // namespace internal

}  // namespace retention::kafka
