// Keeping the de-duplication memory honest: at start-up, a Redis without ingest's
// marker while the raw topic has committed offsets has lost the memory (repeats would
// pass), and ingest holds every batch until it is rebuilt; a new deployment gets the
// marker. The rebuild (asked for by `retentionctl rebuild ingest`) remembers the event
// ids of retention.interactions.v1 within the window again.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "libs/kafka/consumer.h"
#include "libs/kafka/settings.h"
#include "services/ingest/dedupe.h"
#include "services/ingest/settings.h"

namespace retention::ingest {

// OK if the memory is intact or new (then marked); FAILED_PRECONDITION if it was lost.
absl::Status CheckDedupeMemory(kafka::Consumer& consumer, const std::string& raw_topic, const kafka::KafkaSettings& kafka,
                               DedupeStore* dedupe, absl::Duration timeout);

// Remembers every event id on the v1 topic within the window, then marks the memory intact.
absl::Status RebuildDedupe(const kafka::KafkaSettings& kafka, const IngestSettings& settings, DedupeStore* dedupe);

}  // namespace retention::ingest
