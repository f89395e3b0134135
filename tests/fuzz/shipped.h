// The configuration files shipped in services/, read relative to the working directory
// (the repository's root under tools/fuzz, the runfiles' root under bazel test).
// A file that does not load stops the target: fuzzing with no configuration is no test.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"

namespace retention::fuzz {

template <typename T>
T ShippedOrDie(absl::StatusOr<T> loaded, const char* path) {
  if (!loaded.ok()) {
    std::fprintf(stderr, "cannot load %s (run from the repository's root): %s\n", path,
                 loaded.status().ToString().c_str());
    std::exit(2);
  }
  return *std::move(loaded);
}

inline constexpr char kShippedScorecards[] = "services/health-score/scorecards/default.textproto";
inline constexpr char kShippedModel[] = "services/churn-risk/models/churn-2026-11-b.textproto";
inline constexpr char kShippedPolicy[] = "services/reference-pipeline/policies/default.textproto";

}  // namespace retention::fuzz
