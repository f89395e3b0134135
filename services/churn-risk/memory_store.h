// ChurnStore in maps: for unit tests and for replaying a history in one process
// (tools/train). Not for serving: nothing survives the process.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "services/churn-risk/engine.h"

namespace retention::churn {

// Keeps states in a map, like the Redis store; risks and outcomes are not kept.
class InMemoryChurnStore : public ChurnStore {
 public:
  absl::StatusOr<std::map<std::string, churnrisk::ChurnAccountState>> Load(
      const std::vector<std::string>& accounts) override {
    std::map<std::string, churnrisk::ChurnAccountState> out;
    for (const auto& a : accounts) {
      auto it = states.find(a);
      out[a] = it != states.end() ? it->second : churnrisk::ChurnAccountState();
    }
    return out;
  }
  absl::Status Save(const std::vector<churnrisk::ChurnAccountState>& list, const std::vector<v1::ChurnRisk>&,
                    const std::vector<Outcome>&) override {
    for (const auto& s : list) states[s.activity().account_id()] = s;
    return absl::OkStatus();
  }
  std::map<std::string, churnrisk::ChurnAccountState> states;
};

}  // namespace retention::churn
