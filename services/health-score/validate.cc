#include "services/health-score/validate.h"

#include "absl/strings/str_cat.h"
#include "libs/proto/time_util.h"
#include "libs/stream/quarantine.h"

namespace retention::health {
namespace {

constexpr size_t kMaxAccountId = 128;

absl::Status CheckAccount(const std::string& account) {
  if (account.empty()) return absl::InvalidArgumentError("account_id is required");
  if (account.size() > kMaxAccountId) {
    return absl::InvalidArgumentError(absl::StrCat("account_id is longer than ", kMaxAccountId, " bytes: ",
                                                   stream::Clip(account, 32)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateGetHealth(const v1::GetHealthRequest& request) { return CheckAccount(request.account_id()); }

absl::Status ValidateSetOverride(const v1::SetOverrideRequest& request, absl::Time now) {
  if (auto s = CheckAccount(request.account_id()); !s.ok()) return s;
  if (!(request.score() >= 0 && request.score() <= 100)) {
    return absl::InvalidArgumentError(absl::StrCat("score must be 0-100, got ", request.score()));
  }
  if (request.reason().empty()) return absl::InvalidArgumentError("reason is required");
  if (request.reason().size() > 1024) return absl::InvalidArgumentError("reason is longer than 1024 bytes");
  if (request.author().empty()) return absl::InvalidArgumentError("author is required");
  if (request.author().size() > 256) return absl::InvalidArgumentError("author is longer than 256 bytes");
  if (proto::FromTimestamp(request.expires_at()) <= now) {
    return absl::InvalidArgumentError("expires_at must be in the future");
  }
  return absl::OkStatus();
}

absl::Status ValidateClearOverride(const v1::ClearOverrideRequest& request) {
  if (auto s = CheckAccount(request.account_id()); !s.ok()) return s;
  if (request.author().size() > 256) return absl::InvalidArgumentError("author is longer than 256 bytes");
  return absl::OkStatus();
}

}  // namespace retention::health
