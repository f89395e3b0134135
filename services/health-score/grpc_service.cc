#include "services/health-score/grpc_service.h"

#include "libs/grpc/stream_hub.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "libs/proto/time_util.h"

namespace retention::health {
namespace {

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

grpc::Status Unavailable(const absl::Status& status) {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, absl::StrCat("state store unavailable: ", status.message()));
}

}  // namespace

grpc::Status HealthGrpcService::Current(const std::string& account, v1::AccountHealth* out) {
  absl::StatusOr<std::map<std::string, StoredAccount>> loaded;
  {
    std::lock_guard<std::mutex> lock(mu_);
    loaded = store_->Load({account});
  }
  if (!loaded.ok()) return Unavailable(loaded.status());
  const StoredAccount& stored = (*loaded)[account];
  if (!stored.exists) return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("account ", account, " not seen"));
  *out = Evaluate(*scorecards_, stored.state, stored.override, absl::Now());
  return grpc::Status::OK;
}

grpc::Status HealthGrpcService::GetHealth(grpc::ServerContext*, const v1::GetHealthRequest* request,
                                          v1::AccountHealth* response) {
  if (request->account_id().empty()) return Invalid("account_id is required");
  return Current(request->account_id(), response);
}

grpc::Status HealthGrpcService::ListAccounts(grpc::ServerContext*, const v1::ListAccountsRequest* request,
                                             v1::ListAccountsResponse* response) {
  if (request->page_size() < 0 || request->page_size() > 1000) {
    return Invalid(absl::StrCat("page_size must be 0-1000, got ", request->page_size()));
  }
  const int64_t page_size = request->page_size() == 0 ? 100 : request->page_size();
  int64_t offset = 0;
  if (!request->page_token().empty() && (!absl::SimpleAtoi(request->page_token(), &offset) || offset < 0)) {
    return Invalid("page_token is not one that ListAccounts returned");
  }
  const bool descending = request->order() == v1::ListAccountsRequest::SCORE_DESCENDING;
  constexpr int64_t kChunk = 500;
  while (response->accounts_size() < page_size) {
    absl::StatusOr<std::vector<v1::AccountHealth>> chunk;
    {
      std::lock_guard<std::mutex> lock(mu_);
      chunk = store_->ListByScore(descending, offset, kChunk);
    }
    if (!chunk.ok()) return Unavailable(chunk.status());
    if (chunk->empty()) return grpc::Status::OK;  // the end: no next page
    for (v1::AccountHealth& h : *chunk) {
      ++offset;
      if (!Matches(request->filter(), h)) continue;
      *response->add_accounts() = std::move(h);
      if (response->accounts_size() == page_size) break;
    }
    if (static_cast<int64_t>(chunk->size()) < kChunk && response->accounts_size() < page_size) {
      return grpc::Status::OK;
    }
  }
  response->set_next_page_token(absl::StrCat(offset));
  return grpc::Status::OK;
}

grpc::Status HealthGrpcService::WatchHealth(grpc::ServerContext* context, const v1::WatchHealthRequest* request,
                                            grpc::ServerWriter<v1::HealthSignal>* writer) {
  const v1::HealthFilter filter = request->filter();
  return grpc_server::StreamFromHub<v1::HealthSignal>(
      context, hub_, [filter](const v1::HealthSignal& s) { return Matches(filter, s.health()); }, writer);
}

grpc::Status HealthGrpcService::SetOverride(grpc::ServerContext*, const v1::SetOverrideRequest* request,
                                            v1::AccountHealth* response) {
  if (request->account_id().empty()) return Invalid("account_id is required");
  if (request->score() < 0 || request->score() > 100) {
    return Invalid(absl::StrCat("score must be 0-100, got ", request->score()));
  }
  if (request->reason().empty()) return Invalid("reason is required");
  if (request->author().empty()) return Invalid("author is required");
  const absl::Time now = absl::Now();
  if (proto::FromTimestamp(request->expires_at()) <= now) {
    return Invalid("expires_at must be in the future");
  }
  v1::AccountHealth current;
  if (grpc::Status s = Current(request->account_id(), &current); !s.ok()) return s;
  v1::HealthOverride override;
  override.set_score(request->score());
  override.set_reason(request->reason());
  override.set_author(request->author());
  override.mutable_set_at()->set_seconds(absl::ToUnixSeconds(now));
  *override.mutable_expires_at() = request->expires_at();
  absl::Status stored;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stored = store_->SetOverride(request->account_id(), override);
  }
  if (!stored.ok()) return Unavailable(stored);
  return Current(request->account_id(), response);
}

grpc::Status HealthGrpcService::ClearOverride(grpc::ServerContext*, const v1::ClearOverrideRequest* request,
                                              v1::AccountHealth* response) {
  if (request->account_id().empty()) return Invalid("account_id is required");
  absl::Status cleared;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cleared = store_->ClearOverride(request->account_id());
  }
  if (!cleared.ok()) return Unavailable(cleared);
  return Current(request->account_id(), response);
}

}  // namespace retention::health
