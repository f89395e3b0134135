#include "services/ingest/dedupe.h"

#include "absl/strings/str_cat.h"

namespace retention::ingest {

std::string RedisDedupeStore::Key(const std::string& event_id) {
  return absl::StrCat("ingest:seen:{", event_id, "}");
}

absl::StatusOr<std::vector<bool>> RedisDedupeStore::Claim(const std::vector<DedupeClaim>& claims) {
  redis::CommandBatch batch;
  batch.Reserve(claims.size() * 96);
  const std::string ttl = absl::StrCat(absl::ToInt64Seconds(window_));
  std::string key;
  for (const DedupeClaim& c : claims) {
    key = Key(c.event_id);
    batch.Add({"SET", key, c.token, "NX", "GET", "EX", ttl});
  }
  auto replies = redis_->Pipeline(batch);
  if (!replies.ok()) return replies.status();
  std::vector<bool> held(claims.size());
  for (size_t i = 0; i < claims.size(); ++i) {
    const redis::Reply& r = (*replies)[i];
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis SET NX GET: ", r.str));
    held[i] = r.is_nil() || r.str == claims[i].token;
  }
  return held;
}

absl::Status RedisDedupeStore::Release(const std::vector<DedupeClaim>& claims) {
  static const char kDeleteIfHeld[] =
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
  std::vector<redis::Command> commands;
  for (const DedupeClaim& c : claims) commands.push_back({"EVAL", kDeleteIfHeld, "1", Key(c.event_id), c.token});
  auto replies = redis_->Pipeline(commands);
  return replies.ok() ? absl::OkStatus() : replies.status();
}

}  // namespace retention::ingest
