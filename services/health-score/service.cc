#include "services/health-score/service.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "libs/grpc/paging.h"
#include "libs/grpc/status.h"
#include "libs/proto/time_util.h"
#include "libs/stream/grpc_stream.h"
#include "libs/stream/quarantine.h"
#include "services/health-score/validate.h"

namespace retention::health {
namespace {

using grpc_server::ToGrpc;

template <typename List, typename Value>
bool AnyOrContains(const List& list, const Value& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

std::string NewCommandId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("%016x%016x", rng(), rng());
}

}  // namespace

bool Matches(const v1::HealthFilter& filter, const v1::AccountHealth& health) {
  return AnyOrContains(filter.bands(), health.band()) && AnyOrContains(filter.stages(), health.loyalty_stage()) &&
         AnyOrContains(filter.segments(), health.segment());
}

absl::StatusOr<healthscore::HealthState> HealthGrpcService::Load(const std::string& account) {
  if (!gate_->open()) return absl::UnavailableError(gate_->reason());
  auto states = reader_->States({account});
  if (!states.ok()) return absl::UnavailableError(absl::StrCat("state store unavailable: ", states.status().message()));
  auto it = states->find(account);
  if (it == states->end()) return absl::NotFoundError(absl::StrCat("account ", stream::Clip(account, 32), " not seen"));
  healthscore::HealthState state;
  if (!state.ParseFromString(it->second)) {
    return absl::DataLossError(absl::StrCat("the state of account ", stream::Clip(account, 32),
                                            " is unreadable; it is quarantined at its next update"));
  }
  return state;
}

grpc::Status HealthGrpcService::GetHealth(grpc::ServerContext*, const v1::GetHealthRequest* request,
                                          v1::AccountHealth* response) {
  if (auto s = ValidateGetHealth(*request); !s.ok()) return ToGrpc(s);
  auto state = Load(request->account_id());
  if (!state.ok()) return ToGrpc(state.status());
  const absl::Time now = std::max(clock_->Now(), absl::FromUnixMillis(state->evaluated_at_ms()));
  *response = Evaluate(engine_->settings().scorecards, *state, now);
  return grpc::Status::OK;
}

grpc::Status HealthGrpcService::ListAccounts(grpc::ServerContext*, const v1::ListAccountsRequest* request,
                                             v1::ListAccountsResponse* response) {
  if (!gate_->open()) return ToGrpc(absl::UnavailableError(gate_->reason()));
  const bool descending = request->order() == v1::ListAccountsRequest::SCORE_DESCENDING;
  auto page = grpc_server::FilteredPage<v1::AccountHealth>(
      [&](int64_t offset, int64_t limit) -> absl::StatusOr<std::vector<v1::AccountHealth>> {
        auto ids = reader_->Ranked("by_score", descending, offset, limit);
        if (!ids.ok()) return absl::UnavailableError(absl::StrCat("state store unavailable: ", ids.status().message()));
        auto summaries = reader_->Summaries(*ids);
        if (!summaries.ok()) return absl::UnavailableError(absl::StrCat("state store unavailable: ", summaries.status().message()));
        std::vector<v1::AccountHealth> out;
        for (const std::string& bytes : *summaries) {
          v1::AccountHealth h;
          if (h.ParseFromString(bytes)) out.push_back(std::move(h));
        }
        // Keep the page walk's offsets right even if a summary went missing meanwhile.
        while (out.size() < ids->size()) out.emplace_back();
        return out;
      },
      [&](const v1::AccountHealth& h) { return !h.account_id().empty() && Matches(request->filter(), h); },
      request->page_size(), request->page_token());
  if (!page.ok()) return ToGrpc(page.status());
  for (v1::AccountHealth& h : page->items) *response->add_accounts() = std::move(h);
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status HealthGrpcService::WatchHealth(grpc::ServerContext* context, const v1::WatchHealthRequest* request,
                                            grpc::ServerWriter<v1::HealthSignal>* writer) {
  const v1::HealthFilter filter = request->filter();
  return stream::StreamFromHub<v1::HealthSignal>(
      context, hub_, [filter](const v1::HealthSignal& s) { return Matches(filter, s.health()); }, writer);
}

grpc::Status HealthGrpcService::Decide(const std::string& account, v1::OverrideRecord record,
                                       v1::AccountHealth* response) {
  auto state = Load(account);
  if (!state.ok()) return ToGrpc(state.status());
  record.set_account_id(account);
  record.set_command_id(NewCommandId());
  *record.mutable_recorded_at() = proto::ToTimestamp(clock_->Now());
  if (absl::Status published =
          producer_->ProduceAndWait({{settings_.overrides_topic, account, record.SerializeAsString(),
                                      {{"content-type", "application/x-protobuf"}}}},
                                    absl::Seconds(30));
      !published.ok()) {
    return ToGrpc(absl::UnavailableError(absl::StrCat("recording the decision failed; retry: ", published.message())));
  }
  // The topic is the record; the answer waits until health-score folded it in.
  const absl::Time deadline = absl::Now() + settings_.apply_timeout;
  while (true) {
    auto current = Load(account);
    if (current.ok() && current->override_command_id() == record.command_id()) {
      *response = Evaluate(engine_->settings().scorecards, *current,
                           std::max(clock_->Now(), absl::FromUnixMillis(current->evaluated_at_ms())));
      return grpc::Status::OK;
    }
    if (absl::Now() > deadline) {
      return ToGrpc(absl::DeadlineExceededError(absl::StrCat("the decision is recorded (command ", record.command_id(),
                                                             ") but not applied yet; it will be")));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

grpc::Status HealthGrpcService::SetOverride(grpc::ServerContext*, const v1::SetOverrideRequest* request,
                                            v1::AccountHealth* response) {
  const absl::Time now = clock_->Now();
  if (auto s = ValidateSetOverride(*request, now); !s.ok()) return ToGrpc(s);
  v1::OverrideRecord record;
  v1::HealthOverride* o = record.mutable_override();
  o->set_score(request->score());
  o->set_reason(request->reason());
  o->set_author(request->author());
  *o->mutable_set_at() = proto::ToTimestamp(now);
  *o->mutable_expires_at() = request->expires_at();
  return Decide(request->account_id(), std::move(record), response);
}

grpc::Status HealthGrpcService::ClearOverride(grpc::ServerContext*, const v1::ClearOverrideRequest* request,
                                              v1::AccountHealth* response) {
  if (auto s = ValidateClearOverride(*request); !s.ok()) return ToGrpc(s);
  v1::OverrideRecord record;
  record.set_cleared_by(request->author());
  return Decide(request->account_id(), std::move(record), response);
}

}  // namespace retention::health
