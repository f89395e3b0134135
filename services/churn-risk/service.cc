#include "services/churn-risk/service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/grpc/paging.h"
#include "libs/grpc/status.h"
#include "libs/stream/grpc_stream.h"
#include "libs/stream/quarantine.h"
#include "services/churn-risk/validate.h"

namespace retention::churn {
namespace {

using grpc_server::ToGrpc;

absl::Status Unavailable(const absl::Status& status) {
  return absl::UnavailableError(absl::StrCat("state store unavailable: ", status.message()));
}

void SortByCount(google::protobuf::RepeatedPtrField<v1::ReasonCount>* counts) {
  std::sort(counts->begin(), counts->end(), [](const v1::ReasonCount& a, const v1::ReasonCount& b) {
    return a.count() != b.count() ? a.count() > b.count() : a.reason() < b.reason();
  });
}

}  // namespace

bool Matches(const v1::RiskFilter& filter, const v1::ChurnRisk& risk) {
  if (risk.tier() < filter.min_tier()) return false;
  return filter.segments().empty() ||
         std::find(filter.segments().begin(), filter.segments().end(), risk.segment()) != filter.segments().end();
}

grpc::Status ChurnGrpcService::GetRisk(grpc::ServerContext*, const v1::GetRiskRequest* request,
                                       v1::ChurnRisk* response) {
  const std::string& account = request->account_id();
  if (auto s = ValidateGetRisk(*request); !s.ok()) return ToGrpc(s);
  if (!gate_->open()) return ToGrpc(absl::UnavailableError(gate_->reason()));
  auto states = reader_->States({account});
  if (!states.ok()) return ToGrpc(Unavailable(states.status()));
  auto it = states->find(account);
  if (it == states->end()) {
    return ToGrpc(absl::NotFoundError(absl::StrCat("account ", stream::Clip(account, 32), " not seen")));
  }
  churnrisk::ChurnState state;
  if (!state.ParseFromString(it->second)) {
    return ToGrpc(absl::DataLossError(absl::StrCat("the state of account ", stream::Clip(account, 32),
                                                   " is unreadable; it is quarantined at its next update")));
  }
  *response = Assess(engine_->settings().model, state,
                     std::max(clock_->Now(), absl::FromUnixMillis(state.evaluated_at_ms())));
  return grpc::Status::OK;
}

grpc::Status ChurnGrpcService::ListAtRisk(grpc::ServerContext*, const v1::ListAtRiskRequest* request,
                                          v1::ListAtRiskResponse* response) {
  if (!gate_->open()) return ToGrpc(absl::UnavailableError(gate_->reason()));
  const std::string index =
      request->order() == v1::ListAtRiskRequest::RETENTION_PRIORITY ? "by_priority" : "by_revenue";
  auto page = grpc_server::FilteredPage<v1::ChurnRisk>(
      [&](int64_t offset, int64_t limit) -> absl::StatusOr<std::vector<v1::ChurnRisk>> {
        auto ids = reader_->Ranked(index, true, offset, limit);
        if (!ids.ok()) return Unavailable(ids.status());
        auto summaries = reader_->Summaries(*ids);
        if (!summaries.ok()) return Unavailable(summaries.status());
        std::vector<v1::ChurnRisk> out;
        for (const std::string& bytes : *summaries) {
          v1::ChurnRisk r;
          if (r.ParseFromString(bytes)) out.push_back(std::move(r));
        }
        while (out.size() < ids->size()) out.emplace_back();
        return out;
      },
      [&](const v1::ChurnRisk& r) { return !r.account_id().empty() && Matches(request->filter(), r); },
      request->page_size(), request->page_token());
  if (!page.ok()) return ToGrpc(page.status());
  for (v1::ChurnRisk& r : page->items) *response->add_risks() = std::move(r);
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status ChurnGrpcService::StreamRisk(grpc::ServerContext* context, const v1::StreamRiskRequest* request,
                                          grpc::ServerWriter<v1::ChurnRiskSignal>* writer) {
  const v1::RiskFilter filter = request->filter();
  return stream::StreamFromHub<v1::ChurnRiskSignal>(
      context, hub_, [filter](const v1::ChurnRiskSignal& s) { return Matches(filter, s.risk()); }, writer);
}

grpc::Status ChurnGrpcService::GetDefectionInsights(grpc::ServerContext*, const v1::GetDefectionInsightsRequest* request,
                                                    v1::DefectionInsights* response) {
  if (auto s = ValidateGetDefectionInsights(*request); !s.ok()) return ToGrpc(s);
  if (!gate_->open()) return ToGrpc(absl::UnavailableError(gate_->reason()));
  auto counters = reader_->Counters();
  if (!counters.ok()) return ToGrpc(Unavailable(counters.status()));
  const auto wanted = [](const auto& list, const std::string& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  for (const auto& [group, fields] : *counters) {
    const std::vector<std::string> parts = absl::StrSplit(group, absl::MaxSplits('|', 1));
    if (parts.size() != 2 || !wanted(request->segments(), parts[0]) || !wanted(request->periods(), parts[1])) continue;
    v1::DefectionInsight* insight = response->add_insights();
    insight->set_segment(parts[0]);
    insight->set_period(parts[1]);
    for (const auto& [field, count] : fields) {
      if (field == "outcomes") {
        insight->set_outcomes(count);
      } else if (field == "churned") {
        insight->set_churned(count);
      } else if (field == "lost") {
        insight->set_lost(count);
      } else if (absl::StartsWith(field, "reason:")) {
        v1::ReasonCount* r = insight->add_reasons();
        r->set_reason(field.substr(7));
        r->set_count(count);
      } else if (absl::StartsWith(field, "competitor:")) {
        v1::ReasonCount* c = insight->add_competitors();
        c->set_reason(field.substr(11));
        c->set_count(count);
      }
    }
    SortByCount(insight->mutable_reasons());
    SortByCount(insight->mutable_competitors());
  }
  return grpc::Status::OK;
}

}  // namespace retention::churn
