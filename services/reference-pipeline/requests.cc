#include "services/reference-pipeline/requests.h"

#include "absl/strings/str_cat.h"
#include "libs/proto/time_util.h"

namespace retention::reference {
namespace {

using State = v1::ReferenceRequest::State;

bool Allowed(State from, State to) {
  switch (from) {
    case v1::ReferenceRequest::NEW:
      return to == v1::ReferenceRequest::IN_PROGRESS || to == v1::ReferenceRequest::CANCELLED;
    case v1::ReferenceRequest::IN_PROGRESS:
      return to == v1::ReferenceRequest::APPROVED || to == v1::ReferenceRequest::DECLINED ||
             to == v1::ReferenceRequest::CANCELLED;
    case v1::ReferenceRequest::APPROVED:
      return to == v1::ReferenceRequest::COMPLETED || to == v1::ReferenceRequest::CANCELLED;
    default:
      return false;  // DECLINED, COMPLETED and CANCELLED are final
  }
}

}  // namespace

absl::Status CheckCreate(const v1::CreateRequestRequest& create) {
  if (create.account_id().empty()) return absl::InvalidArgumentError("account_id is required");
  if (create.requested_by().empty()) return absl::InvalidArgumentError("requested_by is required");
  switch (create.kind()) {
    case v1::AdvocacyAction::REVIEW:
    case v1::AdvocacyAction::REFERENCE_CALL:
    case v1::AdvocacyAction::CASE_STUDY:
    case v1::AdvocacyAction::REFERRAL:
    case v1::AdvocacyAction::PUBLIC_MENTION:
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          "kind must be REVIEW, REFERENCE_CALL, CASE_STUDY, REFERRAL or PUBLIC_MENTION");
  }
}

v1::ReferenceRequest NewRequest(const v1::CreateRequestRequest& create, std::string request_id, std::string contact_id,
                                absl::Time now) {
  v1::ReferenceRequest r;
  r.set_request_id(std::move(request_id));
  r.set_account_id(create.account_id());
  r.set_contact_id(std::move(contact_id));
  r.set_kind(create.kind());
  *r.mutable_prospect() = create.prospect();
  r.set_requested_by(create.requested_by());
  r.set_state(v1::ReferenceRequest::NEW);
  *r.mutable_created_at() = proto::ToTimestamp(now);
  *r.mutable_updated_at() = r.created_at();
  auto* change = r.add_history();
  change->set_state(v1::ReferenceRequest::NEW);
  *change->mutable_at() = r.created_at();
  change->set_by(create.requested_by());
  change->set_note(create.note());
  return r;
}

absl::StatusOr<v1::ReferenceRequest> Transition(const v1::ReferenceRequest& request,
                                                const v1::UpdateRequestRequest& update, absl::Time now) {
  if (update.by().empty()) return absl::InvalidArgumentError("by is required");
  if (update.state() == v1::ReferenceRequest::STATE_UNSPECIFIED) return absl::InvalidArgumentError("state is required");
  if (!Allowed(request.state(), update.state())) {
    return absl::FailedPreconditionError(absl::StrCat("request ", request.request_id(), " is ",
                                                      v1::ReferenceRequest::State_Name(request.state()), "; it cannot become ",
                                                      v1::ReferenceRequest::State_Name(update.state())));
  }
  v1::ReferenceRequest out = request;
  out.set_state(update.state());
  *out.mutable_updated_at() = proto::ToTimestamp(now);
  auto* change = out.add_history();
  change->set_state(update.state());
  *change->mutable_at() = out.updated_at();
  change->set_by(update.by());
  change->set_note(update.note());
  return out;
}

}  // namespace retention::reference
