// Stable signal ids: the same inputs give the same id in every process and build, so
// that a signal published again after a crash can be recognised as a repeat.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace retention::stream {

// "<prefix>-" and the FNV-1a hash of `parts` (a hash fixed by its definition, not by
// the standard library), e.g. SignalId("hs", {account, event_id, version}).
inline std::string SignalId(absl::string_view prefix, std::initializer_list<absl::string_view> parts) {
  uint64_t hash = 1469598103934665603ULL;
  const auto mix = [&hash](unsigned char c) {
    hash ^= c;
    hash *= 1099511628211ULL;
  };
  bool first = true;
  for (absl::string_view part : parts) {
    if (!first) mix('\x1f');
    first = false;
    for (const unsigned char c : part) mix(c);
  }
  return absl::StrFormat("%s-%016x", prefix, hash);
}

}  // namespace retention::stream
