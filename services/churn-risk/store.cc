#include "services/churn-risk/store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace retention::churn {
namespace {

std::string StateKey(const std::string& account) { return absl::StrCat("churn:acct:{", account, "}"); }
std::string InsightKey(const std::string& name) { return absl::StrCat("churn:insights:{", name, "}"); }
constexpr char kSummary[] = "churn:summary";
constexpr char kByRevenue[] = "churn:by_revenue";
constexpr char kByPriority[] = "churn:by_priority";
constexpr char kInsightKeys[] = "churn:insight_keys";

absl::Status CheckReplies(const std::vector<redis::Reply>& replies) {
  for (const redis::Reply& r : replies) {
    if (r.is_error()) return absl::InternalError(absl::StrCat("redis: ", r.str));
  }
  return absl::OkStatus();
}

void SortByCount(google::protobuf::RepeatedPtrField<v1::ReasonCount>* counts) {
  std::sort(counts->begin(), counts->end(), [](const v1::ReasonCount& a, const v1::ReasonCount& b) {
    return a.count() != b.count() ? a.count() > b.count() : a.reason() < b.reason();
  });
}

}  // namespace

absl::StatusOr<std::map<std::string, churnrisk::ChurnAccountState>> RedisChurnStore::Load(
    const std::vector<std::string>& accounts) {
  redis::CommandBatch batch;
  for (const std::string& a : accounts) {
    const std::string key = StateKey(a);
    batch.Add({"GET", key});
  }
  auto replies = redis_->Pipeline(batch);
  if (!replies.ok()) return replies.status();
  if (auto s = CheckReplies(*replies); !s.ok()) return s;
  std::map<std::string, churnrisk::ChurnAccountState> out;
  for (size_t i = 0; i < accounts.size(); ++i) {
    churnrisk::ChurnAccountState& state = out[accounts[i]];
    if (!(*replies)[i].is_nil() && !state.ParseFromString((*replies)[i].str)) {
      return absl::DataLossError(absl::StrCat("unreadable churn state for account ", accounts[i]));
    }
  }
  return out;
}

absl::Status RedisChurnStore::Save(const std::vector<churnrisk::ChurnAccountState>& states,
                                   const std::vector<v1::ChurnRisk>& risks, const std::vector<Outcome>& outcomes) {
  std::vector<redis::Command> commands;
  for (const auto& s : states) commands.push_back({"SET", StateKey(s.activity().account_id()), s.SerializeAsString()});
  for (const auto& r : risks) {
    commands.push_back({"HSET", kSummary, r.account_id(), r.SerializeAsString()});
    commands.push_back({"ZADD", kByRevenue, absl::StrCat(r.revenue_at_risk()), r.account_id()});
    commands.push_back({"ZADD", kByPriority, absl::StrCat(r.retention_priority()), r.account_id()});
  }
  for (const Outcome& o : outcomes) {
    const std::string name = absl::StrCat(o.segment, "|", o.period);
    const std::string key = InsightKey(name);
    commands.push_back({"SADD", kInsightKeys, name});
    commands.push_back({"HINCRBY", key, "outcomes", "1"});
    if (o.outcome == v1::WinLossOutcome::CHURNED) commands.push_back({"HINCRBY", key, "churned", "1"});
    if (o.outcome == v1::WinLossOutcome::LOST) commands.push_back({"HINCRBY", key, "lost", "1"});
    for (const std::string& reason : o.reasons) commands.push_back({"HINCRBY", key, "reason:" + reason, "1"});
    if (!o.competitor.empty()) commands.push_back({"HINCRBY", key, "competitor:" + o.competitor, "1"});
  }
  if (commands.empty()) return absl::OkStatus();
  auto replies = redis_->Transaction(commands);
  if (!replies.ok()) return replies.status();
  return CheckReplies(*replies);
}

absl::StatusOr<std::vector<v1::ChurnRisk>> RedisChurnStore::List(bool by_priority, int64_t offset, int64_t limit) {
  auto ids = redis_->Pipeline(
      {{"ZREVRANGE", by_priority ? kByPriority : kByRevenue, absl::StrCat(offset), absl::StrCat(offset + limit - 1)}});
  if (!ids.ok()) return ids.status();
  if ((*ids)[0].is_error()) return absl::InternalError((*ids)[0].str);
  std::vector<v1::ChurnRisk> out;
  if ((*ids)[0].elements.empty()) return out;
  redis::Command hmget = {"HMGET", kSummary};
  for (const redis::Reply& id : (*ids)[0].elements) hmget.push_back(id.str);
  auto summaries = redis_->Pipeline({hmget});
  if (!summaries.ok()) return summaries.status();
  for (const redis::Reply& r : (*summaries)[0].elements) {
    v1::ChurnRisk risk;
    if (!r.is_nil() && risk.ParseFromString(r.str)) out.push_back(std::move(risk));
  }
  return out;
}

absl::StatusOr<std::vector<v1::DefectionInsight>> RedisChurnStore::Insights(const std::vector<std::string>& segments,
                                                                           const std::vector<std::string>& periods) {
  auto names = redis_->Pipeline({{"SMEMBERS", kInsightKeys}});
  if (!names.ok()) return names.status();
  const auto wanted = [](const std::vector<std::string>& list, const std::string& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  std::vector<std::pair<std::string, std::string>> chosen;
  std::vector<redis::Command> reads;
  for (const redis::Reply& n : (*names)[0].elements) {
    const std::vector<std::string> parts = absl::StrSplit(n.str, absl::MaxSplits('|', 1));
    if (parts.size() != 2 || !wanted(segments, parts[0]) || !wanted(periods, parts[1])) continue;
    chosen.emplace_back(parts[0], parts[1]);
    reads.push_back({"HGETALL", InsightKey(n.str)});
  }
  std::vector<v1::DefectionInsight> out;
  if (reads.empty()) return out;
  auto hashes = redis_->Pipeline(reads);
  if (!hashes.ok()) return hashes.status();
  for (size_t i = 0; i < chosen.size(); ++i) {
    v1::DefectionInsight& insight = out.emplace_back();
    insight.set_segment(chosen[i].first);
    insight.set_period(chosen[i].second);
    const auto& fields = (*hashes)[i].elements;
    for (size_t f = 0; f + 1 < fields.size(); f += 2) {
      int64_t count = 0;
      if (!absl::SimpleAtoi(fields[f + 1].str, &count)) continue;
      const std::string& field = fields[f].str;
      if (field == "outcomes") insight.set_outcomes(count);
      else if (field == "churned") insight.set_churned(count);
      else if (field == "lost") insight.set_lost(count);
      else if (absl::StartsWith(field, "reason:")) {
        v1::ReasonCount* r = insight.add_reasons();
        r->set_reason(field.substr(7));
        r->set_count(count);
      } else if (absl::StartsWith(field, "competitor:")) {
        v1::ReasonCount* c = insight.add_competitors();
        c->set_reason(field.substr(11));
        c->set_count(count);
      }
    }
    SortByCount(insight.mutable_reasons());
    SortByCount(insight.mutable_competitors());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.segment(), a.period()) < std::tie(b.segment(), b.period());
  });
  return out;
}

}  // namespace retention::churn
