// Where health-score keeps accounts: the state, an active override, and the summary
// that ListAccounts reads. The Redis implementation does each call in one round trip.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "libs/redis/redis_client.h"
#include "retention/v1/health.pb.h"
#include "services/health-score/account_state.pb.h"

namespace retention::health {

struct StoredAccount {
  bool exists = false;
  healthscore::AccountState state;
  std::optional<v1::HealthOverride> override;
};

class HealthStore {
 public:
  virtual ~HealthStore() = default;
  // Every requested account appears in the result (exists = false if never stored).
  virtual absl::StatusOr<std::map<std::string, StoredAccount>> Load(const std::vector<std::string>& accounts) = 0;
  // Writes states and their summaries (health without components, for listings).
  virtual absl::Status Save(const std::vector<healthscore::AccountState>& states,
                            const std::vector<v1::AccountHealth>& summaries) = 0;
  virtual absl::Status SetOverride(const std::string& account, const v1::HealthOverride& override) = 0;
  virtual absl::Status ClearOverride(const std::string& account) = 0;
  // Summaries ordered by score, `offset` first, at most `limit`.
  virtual absl::StatusOr<std::vector<v1::AccountHealth>> ListByScore(bool descending, int64_t offset,
                                                                     int64_t limit) = 0;
};

// Keys: health:acct:{A} (state), health:ovr:{A} (override, expiring with it),
// health:summary (hash account -> summary), health:by_score (sorted set).
class RedisHealthStore : public HealthStore {
 public:
  explicit RedisHealthStore(redis::RedisClient* redis) : redis_(redis) {}

  absl::StatusOr<std::map<std::string, StoredAccount>> Load(const std::vector<std::string>& accounts) override;
  absl::Status Save(const std::vector<healthscore::AccountState>& states,
                    const std::vector<v1::AccountHealth>& summaries) override;
  absl::Status SetOverride(const std::string& account, const v1::HealthOverride& override) override;
  absl::Status ClearOverride(const std::string& account) override;
  absl::StatusOr<std::vector<v1::AccountHealth>> ListByScore(bool descending, int64_t offset, int64_t limit) override;

 private:
  redis::RedisClient* redis_;
};

}  // namespace retention::health
