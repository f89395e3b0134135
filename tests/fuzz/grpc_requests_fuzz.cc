// The gRPC request checks of every service: the first byte picks a request type, the
// rest is parsed as it (protobuf, as gRPC would) and checked. A refusal must be
// INVALID_ARGUMENT with a short message, whatever the size of the fields it quotes.
#include <functional>
#include <string>
#include <vector>

#include "libs/grpc/paging.h"
#include "services/churn-risk/validate.h"
#include "services/health-score/validate.h"
#include "services/ingest/settings.h"
#include "services/ingest/validate.h"
#include "services/reference-pipeline/validate.h"
#include "tests/fuzz/engine_harness.h"

namespace retention::fuzz {
namespace {

// The longest refusal a check may answer; gRPC clients see it in the status' metadata.
constexpr size_t kMaxMessage = 256;

template <typename Request>
absl::Status Check(const std::string& bytes, const std::function<absl::Status(const Request&)>& check) {
  Request request;
  if (!request.ParseFromString(bytes)) return absl::OkStatus();
  return check(request);
}

template <typename Request>
absl::Status CheckPageOf(const std::string& bytes) {
  return Check<Request>(bytes,
                        [](const Request& r) { return grpc_server::CheckPage(r.page_size(), r.page_token()).status(); });
}

}  // namespace
}  // namespace retention::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace retention;
  using fuzz::Check;
  fuzz::FuzzInput in(data, size);
  const uint8_t kind = in.Byte();
  const std::string bytes = in.Rest();
  absl::Status status;
  switch (kind % 13) {
    case 0:
      status = Check<v1::SubmitRequest>(bytes, [](const v1::SubmitRequest& r) {
        return ingest::ValidateSubmit(r, ingest::IngestSettings{}.max_event_bytes);
      });
      break;
    case 1:
      status = Check<v1::GetHealthRequest>(bytes, health::ValidateGetHealth);
      break;
    case 2:
      status = Check<v1::SetOverrideRequest>(
          bytes, [](const v1::SetOverrideRequest& r) { return health::ValidateSetOverride(r, fuzz::kFuzzWall); });
      break;
    case 3:
      status = Check<v1::ClearOverrideRequest>(bytes, health::ValidateClearOverride);
      break;
    case 4:
      status = fuzz::CheckPageOf<v1::ListAccountsRequest>(bytes);
      break;
    case 5:
      status = Check<v1::GetRiskRequest>(bytes, churn::ValidateGetRisk);
      break;
    case 6:
      status = Check<v1::GetDefectionInsightsRequest>(bytes, churn::ValidateGetDefectionInsights);
      break;
    case 7:
      status = fuzz::CheckPageOf<v1::ListAtRiskRequest>(bytes);
      break;
    case 8:
      status = Check<v1::FindReferencesRequest>(bytes, reference::ValidateFindReferences);
      break;
    case 9:
      status = Check<v1::CreateRequestRequest>(bytes, reference::ValidateCreateRequest);
      break;
    case 10:
      status = Check<v1::UpdateRequestRequest>(bytes, reference::ValidateUpdateRequest);
      break;
    case 11:
      status = Check<v1::GetRequestRequest>(bytes, reference::ValidateGetRequest);
      break;
    case 12:
      status = Check<v1::GetAdvocacyProfileRequest>(bytes, reference::ValidateGetAdvocacyProfile);
      break;
  }
  if (!status.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(status));
    FUZZ_CHECK(status.message().size() <= fuzz::kMaxMessage);
  }
  return 0;
}
