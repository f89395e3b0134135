// ingest's own flags, read into its settings (the shared ones are libs/config's).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/ingest/pipeline.h"
#include "services/ingest/settings.h"

namespace retention::ingest {

struct IngestFlags {
  IngestSettings settings;
  PipelineSettings pipeline;
  std::string group_id;
  std::string state_prefix;  // of the de-duplication memory's Redis keys
};

// Reads and checks ingest's flags; errors name the flag.
absl::StatusOr<IngestFlags> ReadIngestFlags();

}  // namespace retention::ingest
