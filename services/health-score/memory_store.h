// HealthStore in maps: for unit tests and for replaying a history in one process
// (tools/train). Not for serving: nothing survives the process.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "services/health-score/store.h"

namespace retention::health {

// Keeps accounts in maps, like the Redis store.
class InMemoryHealthStore : public HealthStore {
 public:
  absl::StatusOr<std::map<std::string, StoredAccount>> Load(const std::vector<std::string>& accounts) override {
    std::map<std::string, StoredAccount> out;
    for (const auto& a : accounts) {
      StoredAccount& s = out[a];
      if (auto it = states.find(a); it != states.end()) {
        s.exists = true;
        s.state = it->second;
      }
      if (auto it = overrides.find(a); it != overrides.end()) s.override = it->second;
    }
    return out;
  }
  absl::Status Save(const std::vector<healthscore::AccountState>& list,
                    const std::vector<v1::AccountHealth>& summaries) override {
    for (const auto& s : list) states[s.account_id()] = s;
    return absl::OkStatus();
  }
  absl::Status SetOverride(const std::string& a, const v1::HealthOverride& o) override {
    overrides[a] = o;
    return absl::OkStatus();
  }
  absl::Status ClearOverride(const std::string& a) override {
    overrides.erase(a);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<v1::AccountHealth>> ListByScore(bool, int64_t, int64_t) override {
    return std::vector<v1::AccountHealth>{};
  }

  std::map<std::string, healthscore::AccountState> states;
  std::map<std::string, v1::HealthOverride> overrides;
};

}  // namespace retention::health
