#include "libs/stream/state_store.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace retention::stream {

// "s=<sequence>;c=<clock ms>;<topic>=<offset>;...;~<topic>=<replay until>;..." with
// topics in order ('~' starts no topic name): equal checkpoints encode to equal
// strings, which the store compares.
std::string Checkpoint::Encode() const {
  std::string out = absl::StrCat("s=", sequence, ";c=", clock == absl::InfinitePast() ? -1 : absl::ToUnixMillis(clock));
  for (const auto& [topic, offset] : offsets) absl::StrAppend(&out, ";", topic, "=", offset);
  for (const auto& [topic, offset] : replay_until) absl::StrAppend(&out, ";~", topic, "=", offset);
  return out;
}

absl::StatusOr<Checkpoint> Checkpoint::Decode(const std::string& text) {
  Checkpoint c;
  bool have_sequence = false;
  for (absl::string_view part : absl::StrSplit(text, ';')) {
    const size_t eq = part.rfind('=');
    int64_t value = 0;
    if (eq == absl::string_view::npos || !absl::SimpleAtoi(part.substr(eq + 1), &value)) {
      return absl::DataLossError(absl::StrCat("unreadable checkpoint \"", text.substr(0, 200), "\""));
    }
    const absl::string_view name = part.substr(0, eq);
    if (name == "s") {
      c.sequence = value;
      have_sequence = true;
    } else if (name == "c") {
      c.clock = value < 0 ? absl::InfinitePast() : absl::FromUnixMillis(value);
    } else if (absl::StartsWith(name, "~")) {
      c.replay_until[std::string(name.substr(1))] = value;
    } else {
      c.offsets[std::string(name)] = value;
    }
  }
  if (!have_sequence) return absl::DataLossError(absl::StrCat("unreadable checkpoint \"", text.substr(0, 200), "\""));
  return c;
}

}  // namespace retention::stream
