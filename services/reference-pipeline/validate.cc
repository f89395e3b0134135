#include "services/reference-pipeline/validate.h"

#include "absl/strings/str_cat.h"
#include "libs/stream/quarantine.h"
#include "services/reference-pipeline/requests.h"

namespace retention::reference {
namespace {

constexpr size_t kMaxId = 128;

absl::Status CheckId(const std::string& value, const char* field) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (value.size() > kMaxId) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is longer than ", kMaxId, " bytes: ", stream::Clip(value, 32)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateFindReferences(const v1::FindReferencesRequest& request) {
  if (request.limit() < 0 || request.limit() > 100) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be 0-100, got ", request.limit()));
  }
  return absl::OkStatus();
}

absl::Status ValidateCreateRequest(const v1::CreateRequestRequest& request) {
  if (auto s = CheckCreate(request); !s.ok()) return s;
  if (auto s = CheckId(request.account_id(), "account_id"); !s.ok()) return s;
  if (request.requested_by().size() > 256 || request.note().size() > 4096 || request.contact_id().size() > kMaxId) {
    return absl::InvalidArgumentError("requested_by (256), note (4096) or contact_id (128) is too long");
  }
  return absl::OkStatus();
}

absl::Status ValidateUpdateRequest(const v1::UpdateRequestRequest& request) {
  if (auto s = CheckId(request.request_id(), "request_id"); !s.ok()) return s;
  if (request.by().size() > 256 || request.note().size() > 4096) {
    return absl::InvalidArgumentError("by (256) or note (4096) is too long");
  }
  return absl::OkStatus();
}

absl::Status ValidateGetRequest(const v1::GetRequestRequest& request) {
  return CheckId(request.request_id(), "request_id");
}

absl::Status ValidateGetAdvocacyProfile(const v1::GetAdvocacyProfileRequest& request) {
  return CheckId(request.account_id(), "account_id");
}

}  // namespace retention::reference
