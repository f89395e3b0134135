#include "services/ingest/redis_dedupe.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace retention::ingest {
namespace {

constexpr char kPending[] = "p|";

std::string Value(const DedupeClaim& c) { return c.pending ? absl::StrCat(kPending, c.token) : c.token; }

absl::Status CheckReplies(const std::vector<redis::Reply>& replies) {
  for (const redis::Reply& r : replies) {
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis: ", r.str));
  }
  return absl::OkStatus();
}

}  // namespace

std::string RedisDedupeStore::Key(const std::string& event_id) const { return absl::StrCat(prefix_, ":seen:{", event_id, "}"); }

absl::StatusOr<std::vector<ClaimResult>> RedisDedupeStore::Claim(const std::vector<DedupeClaim>& claims) {
  redis::CommandBatch batch;
  batch.Reserve(claims.size() * 96 + 64);
  batch.Add({"EXISTS", meta_});
  const std::string window = absl::StrCat(absl::ToInt64Seconds(window_));
  const std::string pending = absl::StrCat(absl::ToInt64Seconds(pending_ttl_));
  std::string key, value;
  for (const DedupeClaim& c : claims) {
    key = Key(c.event_id);
    value = Value(c);
    batch.Add({"SET", key, value, "NX", "GET", "EX", c.pending ? pending : window});
  }
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(batch));
  if (replies[0].integer != 1) {
    return absl::FailedPreconditionError(
        "the de-duplication memory is gone (Redis lost its data): repeats would pass; run `retentionctl rebuild "
        "ingest` to rebuild it from retention.interactions.v1");
  }
  std::vector<ClaimResult> out(claims.size());
  for (size_t i = 0; i < claims.size(); ++i) {
    const redis::Reply& r = replies[i + 1];
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis SET NX GET: ", r.str));
    if (r.is_nil() || r.str == Value(claims[i])) {
      out[i] = ClaimResult::kHeld;
    } else if (absl::StartsWith(r.str, kPending)) {
      out[i] = ClaimResult::kInFlight;
    } else {
      out[i] = ClaimResult::kDuplicate;
    }
  }
  return out;
}

absl::Status RedisDedupeStore::Confirm(const std::vector<DedupeClaim>& claims) {
  static const char kConfirm[] =
      "local n = 0 for i, key in ipairs(KEYS) do "
      "if redis.call('GET', key) == ARGV[2 * i - 1] then "
      "redis.call('SET', key, ARGV[2 * i], 'EX', ARGV[#ARGV]) n = n + 1 end end return n";
  if (claims.empty()) return absl::OkStatus();
  std::vector<std::string> keys, args;
  for (const DedupeClaim& c : claims) {
    keys.push_back(Key(c.event_id));
    args.push_back(Value(c));
    args.push_back(c.token);
  }
  args.push_back(absl::StrCat(absl::ToInt64Seconds(window_)));
  RETENTION_ASSIGN_OR_RETURN(redis::Reply reply, redis_->Eval(kConfirm, keys, args));
  if (reply.is_error()) return absl::InternalError(absl::StrCat("redis: ", reply.str));
  return absl::OkStatus();
}

absl::Status RedisDedupeStore::Release(const std::vector<DedupeClaim>& claims) {
  static const char kDeleteIfHeld[] =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
  std::vector<redis::Command> commands;
  for (const DedupeClaim& c : claims) commands.push_back({"EVAL", kDeleteIfHeld, "1", Key(c.event_id), Value(c)});
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  return CheckReplies(replies);
}

absl::StatusOr<bool> RedisDedupeStore::Intact() {
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline({{"HEXISTS", meta_, "created"}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  return replies[0].integer == 1;
}

absl::Status RedisDedupeStore::MarkIntact(absl::Time now) {
  RETENTION_ASSIGN_OR_RETURN(
      auto replies,
      redis_->Pipeline({{"HSETNX", meta_, "created", absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())},
                        {"HDEL", meta_, "rebuild"}}));
  return CheckReplies(replies);
}

absl::StatusOr<bool> RedisDedupeStore::RebuildRequested() {
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline({{"HEXISTS", meta_, "rebuild"}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  return replies[0].integer == 1;
}

absl::Status RedisDedupeStore::Restore(const std::vector<DedupeClaim>& claims) {
  if (claims.empty()) return absl::OkStatus();
  redis::CommandBatch batch;
  const std::string window = absl::StrCat(absl::ToInt64Seconds(window_));
  std::string key;
  for (const DedupeClaim& c : claims) {
    key = Key(c.event_id);
    batch.Add({"SET", key, c.token, "NX", "EX", window});
  }
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(batch));
  return CheckReplies(replies);
}

}  // namespace retention::ingest
