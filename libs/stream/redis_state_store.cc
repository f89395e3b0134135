#include "libs/stream/redis_state_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/status/status_macros.h"

namespace retention::stream {
namespace {

// ARGV: the partition count n, then per partition its epoch, the checkpoint the
// write starts from ("" for none) and the one it ends at; then operations, each an
// opcode, a key index into KEYS and its arguments. KEYS: per partition its epoch and
// checkpoint keys, then the keys the operations name.
constexpr char kWriteScript[] = R"lua(
local n = tonumber(ARGV[1])
local a = 2
local done = 0
for i = 1, n do
  local epoch, from, to = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  a = a + 3
  local current = redis.call('GET', KEYS[2 * i - 1])
  if not current then return {'LOST', tostring(i - 1), 'its epoch is missing'} end
  if current ~= epoch then
    if tonumber(current) > tonumber(epoch) then
      return {'FENCED', tostring(i - 1), 'epoch ' .. current .. ' is newer than ' .. epoch}
    end
    return {'LOST', tostring(i - 1), 'its epoch went back from ' .. epoch .. ' to ' .. current}
  end
  local checkpoint = redis.call('GET', KEYS[2 * i]) or ''
  if checkpoint == to then
    done = done + 1
  elseif checkpoint ~= from then
    return {'LOST', tostring(i - 1), 'its checkpoint is "' .. checkpoint .. '", not "' .. from .. '"'}
  end
end
if n > 0 and done == n then return {'DONE'} end
if done > 0 then return {'LOST', '-1', 'checkpoints of one write half applied'} end
local ops = a
while a <= #ARGV do
  local op, key = ARGV[a], KEYS[tonumber(ARGV[a + 1])]
  if op == 'SET' then redis.call('SET', key, ARGV[a + 2]); a = a + 3
  elseif op == 'ZADD' then redis.call('ZADD', key, ARGV[a + 2], ARGV[a + 3]); a = a + 4
  elseif op == 'ZREM' then redis.call('ZREM', key, ARGV[a + 2]); a = a + 3
  elseif op == 'HSET' then redis.call('HSET', key, ARGV[a + 2], ARGV[a + 3]); a = a + 4
  elseif op == 'HDEL' then redis.call('HDEL', key, ARGV[a + 2]); a = a + 3
  elseif op == 'HINCRBY' then redis.call('HINCRBY', key, ARGV[a + 2], ARGV[a + 3]); a = a + 4
  elseif op == 'SADD' then redis.call('SADD', key, ARGV[a + 2]); a = a + 3
  else return redis.error_reply('unknown operation ' .. op) end
end
for i = 1, n do redis.call('SET', KEYS[2 * i], ARGV[2 + 3 * (i - 1) + 2]) end
return {'OK'}
)lua";

absl::Status CheckReplies(const std::vector<redis::Reply>& replies) {
  for (const redis::Reply& r : replies) {
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis: ", r.str));
  }
  return absl::OkStatus();
}

std::string Millis(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

// Builds the write script's KEYS and ARGV, numbering each key once.
class ScriptArgs {
 public:
  void Key(const std::string& key) { keys_.push_back(key); }
  void Arg(std::string arg) { args_.push_back(std::move(arg)); }
  void Op(const char* op, const std::string& key, std::initializer_list<std::string> args) {
    args_.push_back(op);
    auto [it, inserted] = index_.try_emplace(key, keys_.size() + 1);
    if (inserted) keys_.push_back(key);
    args_.push_back(absl::StrCat(it->second));
    for (const std::string& a : args) args_.push_back(a);
  }
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<std::string>& args() const { return args_; }

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> args_;
  std::map<std::string, size_t> index_;
};

std::string StateKey(const std::string& prefix, const std::string& account) {
  return absl::StrCat(prefix, ":acct:{", account, "}");
}
std::string EpochKey(const std::string& prefix, int32_t p) { return absl::StrCat(prefix, ":epoch:", p); }
std::string CheckpointKey(const std::string& prefix, int32_t p) { return absl::StrCat(prefix, ":ckpt:", p); }
std::string DueKey(const std::string& prefix, int32_t p) { return absl::StrCat(prefix, ":due:", p); }

}  // namespace

absl::StatusOr<std::vector<PartitionClaim>> RedisStateStore::Claim(const std::vector<int32_t>& partitions) {
  std::vector<redis::Command> commands;
  for (int32_t p : partitions) {
    // A write that lands after this INCR carries an older epoch and is refused; one
    // that landed before it is in the checkpoint read next.
    commands.push_back({"INCR", EpochKey(prefix_, p)});
    commands.push_back({"GET", CheckpointKey(prefix_, p)});
  }
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  std::vector<PartitionClaim> out;
  for (size_t i = 0; i < partitions.size(); ++i) {
    PartitionClaim& claim = out.emplace_back();
    claim.partition = partitions[i];
    claim.epoch = replies[2 * i].integer;
    if (!replies[2 * i + 1].is_nil()) {
      RETENTION_ASSIGN_OR_RETURN(claim.checkpoint, Checkpoint::Decode(replies[2 * i + 1].str));
    }
  }
  return out;
}

absl::StatusOr<StoreMeta> RedisStateStore::Meta() {
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline({{"HGET", absl::StrCat(prefix_, ":meta"), "rebuild"}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  StoreMeta meta;
  if (!replies[0].is_nil()) meta.rebuild_requested = replies[0].str;
  return meta;
}

absl::StatusOr<std::map<std::string, std::string>> RedisStateStore::Load(const std::vector<std::string>& accounts) {
  std::map<std::string, std::string> out;
  if (accounts.empty()) return out;
  redis::CommandBatch batch;
  for (const std::string& a : accounts) {
    const std::string key = StateKey(prefix_, a);
    batch.Add({"GET", key});
  }
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(batch));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  for (size_t i = 0; i < accounts.size(); ++i) {
    if (!replies[i].is_nil()) out[accounts[i]] = std::move(replies[i].str);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> RedisStateStore::Due(int32_t partition, absl::Time up_to, size_t limit) {
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline({{"ZRANGEBYSCORE", DueKey(prefix_, partition), "-inf",
                                                             Millis(up_to), "LIMIT", "0", absl::StrCat(limit)}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  std::vector<std::string> out;
  for (redis::Reply& r : replies[0].elements) out.push_back(std::move(r.str));
  return out;
}

absl::StatusOr<WriteResult> RedisStateStore::Write(const BatchWrite& write) {
  ScriptArgs args;
  args.Arg(absl::StrCat(write.partitions.size()));
  for (const PartitionWrite& p : write.partitions) {
    args.Key(EpochKey(prefix_, p.partition));
    args.Key(CheckpointKey(prefix_, p.partition));
    args.Arg(absl::StrCat(p.epoch));
    args.Arg(p.from.has_value() ? p.from->Encode() : "");
    args.Arg(p.to.Encode());
  }
  const std::string summary_key = absl::StrCat(prefix_, ":summary");
  const std::string lookup_key = absl::StrCat(prefix_, ":lookup");
  for (const AccountWrite& w : write.accounts) {
    const std::string due_key = DueKey(prefix_, w.partition);
    if (w.next_due == absl::InfiniteFuture()) {
      args.Op("ZREM", due_key, {w.account});
    } else {
      args.Op("ZADD", due_key, {Millis(w.next_due), w.account});
    }
    if (!w.write_state) continue;
    args.Op("SET", StateKey(prefix_, w.account), {w.state});
    if (w.index.summary.empty()) {
      args.Op("HDEL", summary_key, {w.account});
    } else {
      args.Op("HSET", summary_key, {w.account, w.index.summary});
    }
    for (const std::string& name : index_names_) {
      const std::string key = absl::StrCat(prefix_, ":idx:", name);
      auto rank = w.index.rankings.find(name);
      if (rank == w.index.rankings.end()) {
        args.Op("ZREM", key, {w.account});
      } else {
        args.Op("ZADD", key, {absl::StrCat(rank->second), w.account});
      }
    }
    for (const std::string& lookup : w.index.lookups) args.Op("HSET", lookup_key, {lookup, w.account});
  }
  for (const CounterDelta& c : write.counters) {
    args.Op("SADD", absl::StrCat(prefix_, ":ctr_groups"), {c.group});
    args.Op("HINCRBY", absl::StrCat(prefix_, ":ctr:", c.group), {c.field, absl::StrCat(c.delta)});
  }
  RETENTION_ASSIGN_OR_RETURN(redis::Reply reply, redis_->Eval(kWriteScript, args.keys(), args.args()));
  if (reply.is_error()) return absl::InternalError(absl::StrCat("redis state write: ", reply.str));
  if (reply.elements.empty()) return absl::InternalError("redis state write: empty reply");
  const std::string& outcome = reply.elements[0].str;
  WriteResult result;
  if (outcome == "OK") return result;
  if (outcome == "DONE") {
    result.outcome = WriteOutcome::kAlreadyApplied;
    return result;
  }
  result.outcome = outcome == "FENCED" ? WriteOutcome::kFenced : WriteOutcome::kLost;
  int index = -1;
  if (reply.elements.size() > 1 && absl::SimpleAtoi(reply.elements[1].str, &index) && index >= 0 &&
      index < static_cast<int>(write.partitions.size())) {
    result.partition = write.partitions[static_cast<size_t>(index)].partition;
  }
  if (reply.elements.size() > 2) result.detail = reply.elements[2].str;
  return result;
}

absl::StatusOr<WriteResult> RedisStateStore::Verify(const std::vector<PartitionWrite>& current) {
  WriteResult result;
  if (current.empty()) {
    RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline({{"PING"}}));
    RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
    return result;
  }
  std::vector<redis::Command> commands;
  for (const PartitionWrite& p : current) {
    commands.push_back({"GET", EpochKey(prefix_, p.partition)});
    commands.push_back({"GET", CheckpointKey(prefix_, p.partition)});
  }
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  for (size_t i = 0; i < current.size(); ++i) {
    const PartitionWrite& p = current[i];
    result.partition = p.partition;
    const redis::Reply& epoch = replies[2 * i];
    int64_t stored_epoch = 0;
    if (epoch.is_nil() || !absl::SimpleAtoi(epoch.str, &stored_epoch)) {
      result.outcome = WriteOutcome::kLost;
      result.detail = "its epoch is missing";
      return result;
    }
    if (stored_epoch > p.epoch) {
      result.outcome = WriteOutcome::kFenced;
      result.detail = absl::StrCat("epoch ", stored_epoch, " is newer than ", p.epoch);
      return result;
    }
    if (stored_epoch < p.epoch) {
      result.outcome = WriteOutcome::kLost;
      result.detail = absl::StrCat("its epoch went back from ", p.epoch, " to ", stored_epoch);
      return result;
    }
    const redis::Reply& checkpoint = replies[2 * i + 1];
    const std::string expected = p.from.has_value() ? p.from->Encode() : "";
    const std::string stored = checkpoint.is_nil() ? "" : checkpoint.str;
    if (stored != expected) {
      result.outcome = WriteOutcome::kLost;
      result.detail = absl::StrCat("its checkpoint is \"", stored, "\", not \"", expected, "\"");
      return result;
    }
  }
  result.partition = -1;
  return result;
}

absl::StatusOr<std::map<std::string, std::string>> AccountReader::States(const std::vector<std::string>& accounts) {
  std::map<std::string, std::string> out;
  if (accounts.empty()) return out;
  std::vector<redis::Command> commands;
  for (const std::string& a : accounts) commands.push_back({"GET", StateKey(prefix_, a)});
  auto redis = pool_->Acquire();
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis->Pipeline(commands));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  for (size_t i = 0; i < accounts.size(); ++i) {
    if (!replies[i].is_nil()) out[accounts[i]] = std::move(replies[i].str);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> AccountReader::Ranked(const std::string& index, bool descending,
                                                               int64_t offset, int64_t limit) {
  auto redis = pool_->Acquire();
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis->Pipeline({{descending ? "ZREVRANGE" : "ZRANGE",
                                                             absl::StrCat(prefix_, ":idx:", index), absl::StrCat(offset),
                                                             absl::StrCat(offset + limit - 1)}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  std::vector<std::string> out;
  for (redis::Reply& r : replies[0].elements) out.push_back(std::move(r.str));
  return out;
}

absl::StatusOr<std::vector<std::string>> AccountReader::Summaries(const std::vector<std::string>& accounts) {
  std::vector<std::string> out;
  if (accounts.empty()) return out;
  redis::Command hmget = {"HMGET", absl::StrCat(prefix_, ":summary")};
  hmget.insert(hmget.end(), accounts.begin(), accounts.end());
  auto redis = pool_->Acquire();
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis->Pipeline({hmget}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  for (redis::Reply& r : replies[0].elements) {
    if (!r.is_nil()) out.push_back(std::move(r.str));
  }
  return out;
}

absl::StatusOr<std::optional<std::string>> AccountReader::Lookup(const std::string& key) {
  auto redis = pool_->Acquire();
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis->Pipeline({{"HGET", absl::StrCat(prefix_, ":lookup"), key}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  if (replies[0].is_nil()) return std::optional<std::string>();
  return std::optional<std::string>(replies[0].str);
}

absl::StatusOr<std::map<std::string, std::map<std::string, int64_t>>> AccountReader::Counters() {
  auto redis = pool_->Acquire();
  RETENTION_ASSIGN_OR_RETURN(auto groups, redis->Pipeline({{"SMEMBERS", absl::StrCat(prefix_, ":ctr_groups")}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(groups));
  std::map<std::string, std::map<std::string, int64_t>> out;
  std::vector<redis::Command> reads;
  std::vector<std::string> names;
  for (const redis::Reply& g : groups[0].elements) {
    names.push_back(g.str);
    reads.push_back({"HGETALL", absl::StrCat(prefix_, ":ctr:", g.str)});
  }
  if (reads.empty()) return out;
  RETENTION_ASSIGN_OR_RETURN(auto hashes, redis->Pipeline(reads));
  RETENTION_RETURN_IF_ERROR(CheckReplies(hashes));
  for (size_t i = 0; i < names.size(); ++i) {
    auto& fields = out[names[i]];
    const auto& elements = hashes[i].elements;
    for (size_t f = 0; f + 1 < elements.size(); f += 2) {
      int64_t value = 0;
      if (absl::SimpleAtoi(elements[f + 1].str, &value)) fields[elements[f].str] = value;
    }
  }
  return out;
}

absl::Status AccountReader::Ping() {
  auto redis = pool_->Acquire();
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis->Pipeline({{"PING"}}));
  return CheckReplies(replies);
}

absl::StatusOr<std::vector<PartitionProgress>> ReadProgress(redis::RedisClient& redis, const std::string& prefix,
                                                            int32_t partitions, absl::Time due_by) {
  std::vector<redis::Command> commands;
  for (int32_t p = 0; p < partitions; ++p) {
    commands.push_back({"GET", EpochKey(prefix, p)});
    commands.push_back({"GET", CheckpointKey(prefix, p)});
    commands.push_back({"ZCOUNT", DueKey(prefix, p), "-inf", Millis(due_by)});
  }
  RETENTION_ASSIGN_OR_RETURN(auto replies, redis.Pipeline(commands));
  RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
  std::vector<PartitionProgress> out;
  for (int32_t p = 0; p < partitions; ++p) {
    PartitionProgress& progress = out.emplace_back();
    progress.partition = p;
    const redis::Reply& epoch = replies[3 * p];
    if (!epoch.is_nil() && !absl::SimpleAtoi(epoch.str, &progress.epoch)) {
      return absl::DataLossError(absl::StrCat("epoch of partition ", p, " is not a number"));
    }
    if (!replies[3 * p + 1].is_nil()) {
      RETENTION_ASSIGN_OR_RETURN(progress.checkpoint, Checkpoint::Decode(replies[3 * p + 1].str));
    }
    progress.due = replies[3 * p + 2].integer;
  }
  return out;
}

absl::StatusOr<int64_t> RequestRebuild(redis::RedisClient& redis, const std::string& prefix, absl::Time now) {
  int64_t deleted = 0;
  std::string cursor = "0";
  do {
    RETENTION_ASSIGN_OR_RETURN(auto replies,
                               redis.Pipeline({{"SCAN", cursor, "MATCH", absl::StrCat(prefix, ":*"), "COUNT", "1000"}}));
    RETENTION_RETURN_IF_ERROR(CheckReplies(replies));
    if (replies[0].elements.size() != 2) return absl::InternalError("redis SCAN: unexpected reply");
    cursor = replies[0].elements[0].str;
    redis::Command unlink = {"UNLINK"};
    for (const redis::Reply& key : replies[0].elements[1].elements) unlink.push_back(key.str);
    if (unlink.size() > 1) {
      RETENTION_ASSIGN_OR_RETURN(auto removed, redis.Pipeline({unlink}));
      RETENTION_RETURN_IF_ERROR(CheckReplies(removed));
      deleted += removed[0].integer;
    }
  } while (cursor != "0");
  RETENTION_ASSIGN_OR_RETURN(auto set, redis.Pipeline({{"HSET", absl::StrCat(prefix, ":meta"), "rebuild",
                                                         absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())}}));
  RETENTION_RETURN_IF_ERROR(CheckReplies(set));
  return deleted;
}

}  // namespace retention::stream
