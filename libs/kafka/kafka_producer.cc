#include "libs/kafka/kafka_producer.h"

#include <librdkafka/rdkafkacpp.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "libs/kafka/kafka_consumer.h"
#include "libs/kafka/internal/conf.h"
#include "libs/log/log.h"

namespace retention::kafka {
namespace internal {
RdKafka::ConsumerGroupMetadata* NativeGroupMetadata(const GroupMetadata& group);
}  // namespace internal
namespace {

// The records of one ProduceAndWait call: how many are still in flight, the first failure.
struct DeliveryBatch {
  absl::Mutex mu;
  int pending ABSL_GUARDED_BY(mu) = 0;
  absl::Status first_error ABSL_GUARDED_BY(mu);
};

}  // namespace

// Routes each delivery report to the batch that produced the record.
class DeliveryReporter : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* batch = static_cast<DeliveryBatch*>(message.msg_opaque());
    if (message.err() != RdKafka::ERR_NO_ERROR) {
      // Records without a batch belong to a transaction, whose commit reports the failure.
      LOG_WARN("kafka delivery failed")
          .Field("topic", message.topic_name())
          .Field("error", message.errstr());
    }
    if (batch == nullptr) return;
    absl::MutexLock lock(&batch->mu);
    if (message.err() != RdKafka::ERR_NO_ERROR && batch->first_error.ok()) {
      batch->first_error = internal::FromCode(
          message.err(), absl::StrCat("deliver to ", message.topic_name(), ": ", message.errstr()));
    }
    --batch->pending;
  }
};

absl::StatusOr<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const ProducerOptions& options,
                                                                     absl::Duration startup_timeout) {
  std::unique_ptr<KafkaProducer> self(new KafkaProducer());
  self->reporter_ = std::make_unique<DeliveryReporter>();
  self->events_ = std::make_unique<internal::ClientEvents>();
  std::map<std::string, std::string> defaults = {
      // Keys are partitioned as the Java client does (murmur2), so that all topics of one
      // account agree on its partition whoever wrote them.
      {"partitioner", "murmur2_random"},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", absl::StrCat(absl::ToInt64Milliseconds(options.linger))},
      {"message.timeout.ms", absl::StrCat(absl::ToInt64Milliseconds(options.delivery_timeout))},
  };
  if (!options.transactional_id.empty()) {
    defaults["transactional.id"] = options.transactional_id;
    defaults["transaction.timeout.ms"] =
        absl::StrCat(absl::ToInt64Milliseconds(options.delivery_timeout) + 30000);
  }
  auto conf = internal::MakeConf(options.kafka, defaults);
  if (!conf.ok()) return conf.status();
  std::string error;
  if ((*conf)->set("dr_cb", self->reporter_.get(), error) != RdKafka::Conf::CONF_OK ||
      (*conf)->set("event_cb", self->events_.get(), error) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(error);
  }
  self->producer_.reset(RdKafka::Producer::create(conf->get(), error));
  if (!self->producer_) return absl::InvalidArgumentError(absl::StrCat("kafka producer: ", error));
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(startup_timeout));
  if (auto s = internal::CheckReachable(*self->producer_, options.kafka.brokers, timeout_ms); !s.ok()) {
    return s;
  }
  if (!options.transactional_id.empty()) {
    if (auto s = internal::FromError(self->producer_->init_transactions(timeout_ms), "init transactions");
        !s.ok()) {
      return s;
    }
  }
  // Delivery reports are served here, so that no caller has to poll.
  self->poller_ = std::thread([p = self.get()] {
    while (!p->stop_.load()) p->producer_->poll(100);
  });
  return self;
}

KafkaProducer::~KafkaProducer() {
  if (producer_) producer_->flush(5000);
  stop_ = true;
  if (poller_.joinable()) poller_.join();
}

namespace {

absl::Status ProduceOne(RdKafka::Producer& producer, const OutgoingRecord& record, void* opaque) {
  for (int attempt = 0;; ++attempt) {
    RdKafka::Headers* headers = nullptr;
    if (!record.headers.empty()) {
      headers = RdKafka::Headers::create();
      for (const Header& h : record.headers) headers->add(h.key, h.value.data(), h.value.size());
    }
    const RdKafka::ErrorCode code = producer.produce(
        record.topic, record.partition == kPartitionByKey ? RdKafka::Topic::PARTITION_UA : record.partition,
        RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(record.value.data()), record.value.size(), record.key.data(),
        record.key.size(), 0, headers, opaque);
    if (code == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
    delete headers;  // Ownership passes to librdkafka only on success.
    if (code != RdKafka::ERR__QUEUE_FULL || attempt > 600) {
      return internal::FromCode(code, absl::StrCat("produce to ", record.topic));
    }
    // The local queue is full: let deliveries drain it (the poller thread serves them).
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace

absl::Status KafkaProducer::Produce(const OutgoingRecord& record) {
  return ProduceOne(*producer_, record, nullptr);
}

absl::Status KafkaProducer::ProduceAndWait(const std::vector<OutgoingRecord>& records,
                                           absl::Duration timeout) {
  DeliveryBatch batch;
  absl::Status enqueue_error;
  for (const OutgoingRecord& record : records) {
    {
      absl::MutexLock lock(&batch.mu);
      ++batch.pending;
    }
    enqueue_error = ProduceOne(*producer_, record, &batch);
    if (!enqueue_error.ok()) {
      absl::MutexLock lock(&batch.mu);
      --batch.pending;
      break;
    }
  }
  absl::MutexLock lock(&batch.mu);
  const auto done = [&batch]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(batch.mu) { return batch.pending <= 0; };
  if (!batch.mu.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    // Enqueued records still point at `batch`: wait for their reports, which
    // message.timeout.ms bounds, before it goes out of scope.
    batch.mu.Await(absl::Condition(&done));
    if (batch.first_error.ok()) {
      batch.first_error = absl::DeadlineExceededError("kafka delivery not confirmed in time");
    }
  }
  if (!enqueue_error.ok()) return enqueue_error;
  return batch.first_error;
}

absl::Status KafkaProducer::BeginTransaction() {
  return internal::FromError(producer_->begin_transaction(), "begin transaction");
}

absl::Status KafkaProducer::SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                                     const GroupMetadata& group, absl::Duration timeout) {
  std::vector<RdKafka::TopicPartition*> tps;
  for (const TopicPartitionOffset& tpo : offsets) {
    tps.push_back(RdKafka::TopicPartition::create(tpo.topic, tpo.partition, tpo.offset));
  }
  absl::Status status = internal::FromError(
      producer_->send_offsets_to_transaction(tps, internal::NativeGroupMetadata(group),
                                             static_cast<int>(absl::ToInt64Milliseconds(timeout))),
      "send offsets to transaction");
  RdKafka::TopicPartition::destroy(tps);
  return status;
}

absl::Status KafkaProducer::CommitTransaction(absl::Duration timeout) {
  return internal::FromError(
      producer_->commit_transaction(static_cast<int>(absl::ToInt64Milliseconds(timeout))),
      "commit transaction");
}

absl::Status KafkaProducer::AbortTransaction(absl::Duration timeout) {
  return internal::FromError(
      producer_->abort_transaction(static_cast<int>(absl::ToInt64Milliseconds(timeout))),
      "abort transaction");
}

}  // namespace retention::kafka
