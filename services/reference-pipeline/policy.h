// The reference policy file: who is eligible, fatigue limits, ranking weights.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "retention/v1/advocacy.pb.h"

namespace retention::reference {

// Parses and checks a policy in text format; errors read "<file>:<line>: <reason>".
absl::StatusOr<v1::ReferencePolicy> ParsePolicy(const std::string& text, absl::string_view file_name);
absl::StatusOr<v1::ReferencePolicy> LoadPolicy(const std::string& path);

}  // namespace retention::reference
