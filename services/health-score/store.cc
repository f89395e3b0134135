#include "services/health-score/store.h"

#include "absl/strings/str_cat.h"

namespace retention::health {
namespace {

std::string StateKey(const std::string& account) { return absl::StrCat("health:acct:{", account, "}"); }
std::string OverrideKey(const std::string& account) { return absl::StrCat("health:ovr:{", account, "}"); }
constexpr char kSummary[] = "health:summary";
constexpr char kByScore[] = "health:by_score";

absl::Status CheckReplies(const std::vector<redis::Reply>& replies) {
  for (const redis::Reply& r : replies) {
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis: ", r.str));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, StoredAccount>> RedisHealthStore::Load(const std::vector<std::string>& accounts) {
  redis::CommandBatch batch;
  for (const std::string& a : accounts) {
    const std::string state_key = StateKey(a);
    const std::string override_key = OverrideKey(a);
    batch.Add({"GET", state_key});
    batch.Add({"GET", override_key});
  }
  auto replies = redis_->Pipeline(batch);
  if (!replies.ok()) return replies.status();
  if (auto s = CheckReplies(*replies); !s.ok()) return s;
  std::map<std::string, StoredAccount> out;
  for (size_t i = 0; i < accounts.size(); ++i) {
    StoredAccount& stored = out[accounts[i]];
    const redis::Reply& state = (*replies)[2 * i];
    const redis::Reply& override = (*replies)[2 * i + 1];
    if (!state.is_nil()) {
      if (!stored.state.ParseFromString(state.str)) {
        return absl::DataLossError(absl::StrCat("unreadable state for account ", accounts[i]));
      }
      stored.exists = true;
    }
    if (!override.is_nil()) {
      v1::HealthOverride o;
      if (o.ParseFromString(override.str)) stored.override = o;
    }
  }
  return out;
}

absl::Status RedisHealthStore::Save(const std::vector<healthscore::AccountState>& states,
                                    const std::vector<v1::AccountHealth>& summaries) {
  redis::CommandBatch batch;
  for (const healthscore::AccountState& s : states) {
    const std::string key = StateKey(s.account_id());
    const std::string value = s.SerializeAsString();
    batch.Add({"SET", key, value});
  }
  for (const v1::AccountHealth& h : summaries) {
    const std::string value = h.SerializeAsString();
    const std::string score = absl::StrCat(h.score());
    batch.Add({"HSET", kSummary, h.account_id(), value});
    batch.Add({"ZADD", kByScore, score, h.account_id()});
  }
  if (batch.size() == 0) return absl::OkStatus();
  auto replies = redis_->Pipeline(batch);
  if (!replies.ok()) return replies.status();
  return CheckReplies(*replies);
}

absl::Status RedisHealthStore::SetOverride(const std::string& account, const v1::HealthOverride& override) {
  // The key expires with the override, so it lapses by itself.
  const int64_t expires_ms = override.expires_at().seconds() * 1000 + override.expires_at().nanos() / 1000000;
  auto replies = redis_->Pipeline(
      {{"SET", OverrideKey(account), override.SerializeAsString(), "PXAT", absl::StrCat(expires_ms)}});
  if (!replies.ok()) return replies.status();
  return CheckReplies(*replies);
}

absl::Status RedisHealthStore::ClearOverride(const std::string& account) {
  auto replies = redis_->Pipeline({{"DEL", OverrideKey(account)}});
  if (!replies.ok()) return replies.status();
  return CheckReplies(*replies);
}

absl::StatusOr<std::vector<v1::AccountHealth>> RedisHealthStore::ListByScore(bool descending, int64_t offset,
                                                                             int64_t limit) {
  auto ids = redis_->Pipeline({{descending ? "ZREVRANGE" : "ZRANGE", kByScore, absl::StrCat(offset),
                                absl::StrCat(offset + limit - 1)}});
  if (!ids.ok()) return ids.status();
  const redis::Reply& list = (*ids)[0];
  if (list.is_error()) return absl::InternalError(list.str);
  std::vector<v1::AccountHealth> out;
  if (list.elements.empty()) return out;
  redis::Command hmget = {"HMGET", kSummary};
  for (const redis::Reply& id : list.elements) hmget.push_back(id.str);
  auto summaries = redis_->Pipeline({hmget});
  if (!summaries.ok()) return summaries.status();
  for (const redis::Reply& r : (*summaries)[0].elements) {
    v1::AccountHealth h;
    if (!r.is_nil() && h.ParseFromString(r.str)) out.push_back(std::move(h));
  }
  return out;
}

}  // namespace retention::health
