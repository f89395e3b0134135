// reference-pipeline's Redis store: account states and the index of accounts whose
// stream conditions hold (written by the pipeline), and reference requests (written by
// the gRPC API). Each key has one writer, so the two never race.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "libs/redis/redis_client.h"
#include "services/reference-pipeline/engine.h"

namespace retention::reference {

// Reference requests and, per account, the ids of its requests.
class RequestStore {
 public:
  virtual ~RequestStore() = default;
  // ALREADY_EXISTS if the id is taken.
  virtual absl::Status Create(const v1::ReferenceRequest& request) = 0;
  // NOT_FOUND if there is no such request.
  virtual absl::StatusOr<v1::ReferenceRequest> Get(const std::string& request_id) = 0;
  // Replaces `before` with `after` only if the stored request is still `before`;
  // ABORTED if it changed in between.
  virtual absl::Status Replace(const v1::ReferenceRequest& before, const v1::ReferenceRequest& after) = 0;
  // Every request of each account (in one round trip for all accounts).
  virtual absl::StatusOr<std::map<std::string, std::vector<v1::ReferenceRequest>>> ForAccounts(
      const std::vector<std::string>& accounts) = 0;
};

// Keys: ref:acct:{A} (state), ref:eligible (set of accounts whose stream conditions
// hold), ref:req:{ID} (request), ref:reqs:{A} (set of the account's request ids),
// ref:asked (set of accounts with any request).
class RedisReferenceStore : public ProfileStore, public RequestStore {
 public:
  explicit RedisReferenceStore(redis::RedisClient* redis) : redis_(redis) {}

  absl::StatusOr<std::map<std::string, ReferenceAccountState>> Load(const std::vector<std::string>& accounts) override;
  // One MULTI/EXEC: a crash before it completes writes none of the batch.
  absl::Status Save(const std::vector<ReferenceAccountState>& states) override;

  // Accounts in the eligible index, and which of them were ever asked (one round trip).
  struct Candidates {
    std::vector<std::string> eligible;
    std::vector<std::string> asked;
  };
  absl::StatusOr<Candidates> StreamEligible();

  absl::Status Create(const v1::ReferenceRequest& request) override;
  absl::StatusOr<v1::ReferenceRequest> Get(const std::string& request_id) override;
  absl::Status Replace(const v1::ReferenceRequest& before, const v1::ReferenceRequest& after) override;
  absl::StatusOr<std::map<std::string, std::vector<v1::ReferenceRequest>>> ForAccounts(
      const std::vector<std::string>& accounts) override;

 private:
  redis::RedisClient* redis_;
};

}  // namespace retention::reference
