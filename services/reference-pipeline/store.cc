#include "services/reference-pipeline/store.h"

#include "absl/strings/str_cat.h"

namespace retention::reference {
namespace {

std::string StateKey(const std::string& account) { return absl::StrCat("ref:acct:{", account, "}"); }
std::string RequestKey(const std::string& id) { return absl::StrCat("ref:req:{", id, "}"); }
std::string AccountRequestsKey(const std::string& account) { return absl::StrCat("ref:reqs:{", account, "}"); }
constexpr char kEligible[] = "ref:eligible";
constexpr char kAsked[] = "ref:asked";

// Compare-and-set of a whole value, atomic in Redis.
constexpr char kReplaceScript[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0";

absl::Status CheckReplies(const std::vector<redis::Reply>& replies) {
  for (const redis::Reply& r : replies) {
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis: ", r.str));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::map<std::string, ReferenceAccountState>> RedisReferenceStore::Load(
    const std::vector<std::string>& accounts) {
  std::vector<redis::Command> commands;
  for (const std::string& a : accounts) commands.push_back({"GET", StateKey(a)});
  auto replies = redis_->Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (auto s = CheckReplies(*replies); !s.ok()) return s;
  std::map<std::string, ReferenceAccountState> out;
  for (size_t i = 0; i < accounts.size(); ++i) {
    ReferenceAccountState& state = out[accounts[i]];
    if (!(*replies)[i].is_nil() && !state.ParseFromString((*replies)[i].str)) {
      return absl::DataLossError(absl::StrCat("unreadable reference state for account ", accounts[i]));
    }
  }
  return out;
}

absl::Status RedisReferenceStore::Save(const std::vector<ReferenceAccountState>& states) {
  if (states.empty()) return absl::OkStatus();
  std::vector<redis::Command> commands;
  for (const ReferenceAccountState& s : states) {
    const std::string& account = s.profile().account_id();
    commands.push_back({"SET", StateKey(account), s.SerializeAsString()});
    commands.push_back({s.stream_eligible() ? "SADD" : "SREM", kEligible, account});
  }
  auto replies = redis_->Transaction(commands);
  if (!replies.ok()) return replies.status();
  return CheckReplies(*replies);
}

absl::StatusOr<RedisReferenceStore::Candidates> RedisReferenceStore::StreamEligible() {
  auto replies = redis_->Pipeline(std::vector<redis::Command>{{"SMEMBERS", kEligible}, {"SMEMBERS", kAsked}});
  if (!replies.ok()) return replies.status();
  if (auto s = CheckReplies(*replies); !s.ok()) return s;
  Candidates out;
  for (const redis::Reply& r : (*replies)[0].elements) out.eligible.push_back(r.str);
  for (const redis::Reply& r : (*replies)[1].elements) out.asked.push_back(r.str);
  return out;
}

absl::Status RedisReferenceStore::Create(const v1::ReferenceRequest& request) {
  auto replies = redis_->Transaction({{"SET", RequestKey(request.request_id()), request.SerializeAsString(), "NX"},
                                      {"SADD", AccountRequestsKey(request.account_id()), request.request_id()},
                                      {"SADD", kAsked, request.account_id()}});
  if (!replies.ok()) return replies.status();
  if (auto s = CheckReplies(*replies); !s.ok()) return s;
  if ((*replies)[0].is_nil()) return absl::AlreadyExistsError(absl::StrCat("request ", request.request_id(), " exists"));
  return absl::OkStatus();
}

absl::StatusOr<v1::ReferenceRequest> RedisReferenceStore::Get(const std::string& request_id) {
  auto replies = redis_->Pipeline(std::vector<redis::Command>{{"GET", RequestKey(request_id)}});
  if (!replies.ok()) return replies.status();
  if (auto s = CheckReplies(*replies); !s.ok()) return s;
  if ((*replies)[0].is_nil()) return absl::NotFoundError(absl::StrCat("no request ", request_id));
  v1::ReferenceRequest request;
  if (!request.ParseFromString((*replies)[0].str)) return absl::DataLossError(absl::StrCat("unreadable request ", request_id));
  return request;
}

absl::Status RedisReferenceStore::Replace(const v1::ReferenceRequest& before, const v1::ReferenceRequest& after) {
  auto replies = redis_->Pipeline(std::vector<redis::Command>{
      {"EVAL", kReplaceScript, "1", RequestKey(before.request_id()), before.SerializeAsString(), after.SerializeAsString()}});
  if (!replies.ok()) return replies.status();
  if (auto s = CheckReplies(*replies); !s.ok()) return s;
  if ((*replies)[0].integer != 1) return absl::AbortedError(absl::StrCat("request ", before.request_id(), " changed meanwhile"));
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::vector<v1::ReferenceRequest>>> RedisReferenceStore::ForAccounts(
    const std::vector<std::string>& accounts) {
  std::map<std::string, std::vector<v1::ReferenceRequest>> out;
  if (accounts.empty()) return out;
  // Round trip 1: the ids per account; round trip 2: every request.
  std::vector<redis::Command> members;
  for (const std::string& a : accounts) members.push_back({"SMEMBERS", AccountRequestsKey(a)});
  auto ids = redis_->Pipeline(members);
  if (!ids.ok()) return ids.status();
  if (auto s = CheckReplies(*ids); !s.ok()) return s;
  std::vector<redis::Command> gets;
  std::vector<const std::string*> owner;
  for (size_t i = 0; i < accounts.size(); ++i) {
    out[accounts[i]];
    for (const redis::Reply& id : (*ids)[i].elements) {
      gets.push_back({"GET", RequestKey(id.str)});
      owner.push_back(&accounts[i]);
    }
  }
  if (gets.empty()) return out;
  auto requests = redis_->Pipeline(gets);
  if (!requests.ok()) return requests.status();
  if (auto s = CheckReplies(*requests); !s.ok()) return s;
  for (size_t i = 0; i < gets.size(); ++i) {
    v1::ReferenceRequest r;
    if ((*requests)[i].is_nil()) continue;
    if (!r.ParseFromString((*requests)[i].str)) return absl::DataLossError("unreadable reference request");
    out[*owner[i]].push_back(std::move(r));
  }
  return out;
}

}  // namespace retention::reference
