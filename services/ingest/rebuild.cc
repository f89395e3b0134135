#include "services/ingest/rebuild.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/kafka/admin.h"
#include "libs/kafka/topic_reader.h"
#include "libs/log/log.h"
#include "libs/status/status_macros.h"
#include "retention/v1/interaction_event.pb.h"

namespace retention::ingest {

absl::Status CheckDedupeMemory(kafka::Consumer& consumer, const std::string& raw_topic, const kafka::KafkaSettings& kafka,
                               DedupeStore* dedupe, absl::Duration timeout) {
  RETENTION_ASSIGN_OR_RETURN(const bool intact, dedupe->Intact());
  if (intact) return absl::OkStatus();
  RETENTION_ASSIGN_OR_RETURN(auto topics, kafka::DescribeTopics(kafka, {raw_topic}, false, timeout));
  std::vector<kafka::TopicPartition> partitions;
  for (int p = 0; p < topics[raw_topic].partitions; ++p) partitions.push_back({raw_topic, p});
  RETENTION_ASSIGN_OR_RETURN(auto committed, consumer.Committed(partitions, timeout));
  for (const auto& tpo : committed) {
    if (tpo.offset > 0) {
      LOG_ERROR("the de-duplication memory is gone while the raw topic was consumed before; holding every batch")
          .Field("recover", "run `retentionctl rebuild ingest`");
      return absl::FailedPreconditionError("the de-duplication memory is gone (Redis lost its data)");
    }
  }
  return dedupe->MarkIntact(absl::Now());  // a new deployment
}

absl::Status RebuildDedupe(const kafka::KafkaSettings& kafka, const IngestSettings& settings, DedupeStore* dedupe) {
  int64_t remembered = 0;
  RETENTION_RETURN_IF_ERROR(kafka::ReadTopicSince(
      kafka, settings.v1_topic, absl::Now() - settings.dedupe_window,
      [&](const std::vector<kafka::ConsumedRecord>& records) {
        std::vector<DedupeClaim> claims;
        for (const kafka::ConsumedRecord& r : records) {
          v1::InteractionEvent e;
          if (!e.ParseFromString(r.value) || e.event_id().empty()) continue;
          claims.push_back({e.event_id(), absl::StrCat("v1:", r.partition, ":", r.offset)});
        }
        remembered += static_cast<int64_t>(claims.size());
        return dedupe->Restore(claims);
      },
      absl::Minutes(30)));
  LOG_INFO("de-duplication memory restored from the canonical topic").Field("event_ids", remembered);
  return dedupe->MarkIntact(absl::Now());
}

}  // namespace retention::ingest
