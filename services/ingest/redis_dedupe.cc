#include "services/ingest/redis_dedupe.h"

#include <random>

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

// How far a partition has been read, moved forward; refused (0) if the marker is gone
// or, under the marker the replica recorded under, the store has not seen as far as
// the replica recorded. Returns {ok, marker}. KEYS[1]: the marker hash; ARGV: the
// field, what the replica recorded last (-1: unknown), the span's end, its marker.
constexpr char kRead[] = R"lua(
local created = redis.call('HGET', KEYS[1], 'created')
if not created then return {0, ''} end
local read = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if created == ARGV[4] and tonumber(ARGV[2]) >= 0 and read < tonumber(ARGV[2]) then return {0, created} end
if read < tonumber(ARGV[3]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return {1, created}
)lua";

absl::StatusOr<std::vector<ClaimResult>> RedisDedupeStore::Claim(const std::vector<DedupeClaim>& claims,
                                                                 const std::vector<ReadSpan>& spans,
                                                                 std::string* marker) {
  redis::CommandBatch batch;
  batch.Reserve(claims.size() * 96 + spans.size() * 256 + 64);
  batch.Add({"HEXISTS", meta_, "created"});
  for (const ReadSpan& s : spans) {
    batch.Add({"EVAL", kRead, "1", meta_, absl::StrCat("read:", s.topic, ":", s.partition), absl::StrCat(s.recorded),
               absl::StrCat(s.to), marker == nullptr ? std::string() : *marker});
  }
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
  for (size_t i = 0; i < spans.size(); ++i) {
    const redis::Reply& r = replies[1 + i];
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis: ", r.str));
    if (r.elements.size() != 2) return absl::InternalError("redis: unexpected reply to the read check");
    if (marker != nullptr) *marker = r.elements[1].str;
    if (r.elements[0].integer != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the de-duplication memory went back (Redis lost recent writes, e.g. a failover to a replica that missed "
          "them): it has not seen ",
          spans[i].topic, "/", spans[i].partition, " up to offset ", spans[i].recorded,
          "; repeats would pass; run `retentionctl rebuild ingest` to rebuild it from retention.interactions.v1"));
    }
  }
  std::vector<ClaimResult> out(claims.size());
  for (size_t i = 0; i < claims.size(); ++i) {
    const redis::Reply& r = replies[i + 1 + spans.size()];
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
  // A fresh marker: how far partitions were read before a rebuild no longer holds.
  RETENTION_ASSIGN_OR_RETURN(
      auto replies,
      redis_->Transaction({{"DEL", meta_},
                           {"HSET", meta_, "created",
                            absl::StrCat(absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone()), "/",
                                         absl::Hex(std::random_device{}()))}}));
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
