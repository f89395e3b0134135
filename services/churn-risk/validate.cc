#include "services/churn-risk/validate.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "libs/stream/quarantine.h"

namespace retention::churn {
namespace {

constexpr size_t kMaxAccountId = 128;

bool IsMonth(const std::string& period) {
  int year = 0, month = 0;
  return period.size() == 7 && period[4] == '-' && absl::SimpleAtoi(period.substr(0, 4), &year) &&
         absl::SimpleAtoi(period.substr(5), &month) && month >= 1 && month <= 12;
}

}  // namespace

absl::Status ValidateGetRisk(const v1::GetRiskRequest& request) {
  const std::string& account = request.account_id();
  if (account.empty()) return absl::InvalidArgumentError("account_id is required");
  if (account.size() > kMaxAccountId) {
    return absl::InvalidArgumentError(
        absl::StrCat("account_id is longer than ", kMaxAccountId, " bytes: ", stream::Clip(account, 32)));
  }
  return absl::OkStatus();
}

absl::Status ValidateGetDefectionInsights(const v1::GetDefectionInsightsRequest& request) {
  if (request.periods_size() > 120 || request.segments_size() > 100) {
    return absl::InvalidArgumentError("periods: at most 120, segments: at most 100");
  }
  for (const std::string& period : request.periods()) {
    if (!IsMonth(period)) {
      return absl::InvalidArgumentError(
          absl::StrCat("periods: expected YYYY-MM, got \"", stream::Clip(period, 16), "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace retention::churn
