// churn-risk's Redis store: account states, their risks in listings ordered by revenue
// at risk and by retention priority, and defection insights per segment and month.
#pragma once

#include <string>
#include <vector>

#include "libs/redis/redis_client.h"
#include "services/churn-risk/engine.h"

namespace retention::churn {

// Keys: churn:acct:{A} (state), churn:summary (hash account -> ChurnRisk),
// churn:by_revenue and churn:by_priority (sorted sets), churn:insights:{segment|month}
// (hash of counters) and churn:insight_keys (their names). Save is one MULTI/EXEC: if
// the connection drops before EXEC (the service crashed), Redis applies none of it, and
// no reader sees half a batch. On Redis Cluster that needs a batch's keys in one slot,
// which this layout does not give: use a single Redis (with replicas) for churn-risk.
class RedisChurnStore : public ChurnStore {
 public:
  explicit RedisChurnStore(redis::RedisClient* redis) : redis_(redis) {}

  absl::StatusOr<std::map<std::string, churnrisk::ChurnAccountState>> Load(
      const std::vector<std::string>& accounts) override;
  absl::Status Save(const std::vector<churnrisk::ChurnAccountState>& states, const std::vector<v1::ChurnRisk>& risks,
                    const std::vector<Outcome>& outcomes) override;

  // Risks ordered by revenue at risk or by priority, highest first.
  absl::StatusOr<std::vector<v1::ChurnRisk>> List(bool by_priority, int64_t offset, int64_t limit);
  // Insights of the given segments and months (empty: all).
  absl::StatusOr<std::vector<v1::DefectionInsight>> Insights(const std::vector<std::string>& segments,
                                                             const std::vector<std::string>& periods);

 private:
  redis::RedisClient* redis_;
};

}  // namespace retention::churn
