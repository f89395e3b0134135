// Loads the versioned scorecard file (protobuf text format, retention.v1.ScorecardSet)
// and picks the scorecard for an account. Every error names the file, the line and what
// is wrong, so that a bad file stops the service at start-up with a useful message.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "retention/v1/health.pb.h"

namespace retention::health {

// Parses and checks `text`; `file_name` only appears in errors ("file:line: reason").
absl::StatusOr<v1::ScorecardSet> ParseScorecardSet(const std::string& text, absl::string_view file_name);

// Reads and parses the file at `path`.
absl::StatusOr<v1::ScorecardSet> LoadScorecardSet(const std::string& path);

// The first scorecard whose plans and sizes match; the last one matches every account.
const v1::Scorecard& SelectScorecard(const v1::ScorecardSet& set, absl::string_view plan, absl::string_view size);

}  // namespace retention::health
