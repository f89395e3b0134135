// The inputs of a chaos run, made from a seed: hundreds of accounts' events, then
// people's decisions (overrides, reference requests) on other accounts. Everything
// happens on one day and the services' clock stands still after it, so that two runs
// of the same scenario must end in the same answers however their work was split,
// interrupted and repeated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "retention/v1/advocacy.pb.h"
#include "retention/v1/health.pb.h"
#include "retention/v1/interaction_event.pb.h"

namespace retention::chaos {

struct Scenario {
  uint64_t seed = 0;
  absl::Time clock;                            // the services' clock, stopped: noon of the day
  std::vector<std::string> accounts;           // every account
  std::vector<v1::InteractionEvent> events;    // phase 1, in the order upstream sends them
  std::vector<v1::OverrideRecord> overrides;   // phase 2, on accounts of their own
  std::vector<v1::RequestRecord> proposals;    // phase 2, on loyal accounts of their own
  std::vector<std::string> racing;             // phase 2: loyal accounts asked twice at once over gRPC
  std::vector<v1::InteractionEvent> later;     // phase 3: more events, on every kind of account
  int win_loss_events = 0;                     // outcomes among the events (for insights)
};

// `accounts` accounts named "<prefix>-<n>"; the same seed gives the same scenario.
Scenario MakeScenario(uint64_t seed, int accounts, const std::string& prefix);

}  // namespace retention::chaos
