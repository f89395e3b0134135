#include "tools/train/bands.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_format.h"
#include "services/health-score/scoring.h"

namespace retention::train {
namespace {

// Accounts and churners among the scores in [from, to).
ChurnRate Between(const std::vector<double>& score, const std::vector<int>& churned, double from, double to) {
  ChurnRate r;
  for (size_t i = 0; i < score.size(); ++i) {
    if (score[i] < from || score[i] >= to) continue;
    ++r.accounts;
    r.churned += churned[i];
  }
  return r;
}

// The Wilson score interval of a rate at z standard errors: (lower, upper).
std::pair<double, double> Wilson(const ChurnRate& r, double z) {
  const double n = r.accounts, p = r.rate(), z2 = z * z;
  const double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {center - half, center + half};
}

}  // namespace

BandRates BandChurnRates(const v1::ScorecardSet& scorecards, const std::vector<double>& score,
                         const std::vector<int>& churned) {
  BandRates out;
  for (v1::HealthBand band : {v1::RED, v1::YELLOW, v1::GREEN}) out.bands[band];
  for (size_t i = 0; i < score.size(); ++i) {
    ChurnRate& band = out.bands[health::BandFor(scorecards, score[i])];
    ++band.accounts;
    band.churned += churned[i];
    ++out.all.accounts;
    out.all.churned += churned[i];
  }
  return out;
}

absl::StatusOr<BandThresholds> FitBands(const std::vector<double>& score, const std::vector<int>& churned,
                                        const BandTargets& targets) {
  const ChurnRate all = Between(score, churned, -1e300, 1e300);
  if (all.churned == 0 || all.churned == all.accounts) {
    return absl::FailedPreconditionError("every account has the same outcome: no band can mean more or less churn");
  }
  const double base = all.rate();
  const int min_accounts = std::max(1, static_cast<int>(targets.min_share * all.accounts));
  BandThresholds out;
  // GREEN from the lowest threshold whose accounts churn rarely enough.
  bool green = false;
  for (int g = 1; g <= 100 && !green; ++g) {
    const ChurnRate r = Between(score, churned, g, 1e300);
    if (r.accounts >= min_accounts && Wilson(r, targets.z).second <= targets.green_ratio * base) {
      out.green_from = g;
      green = true;
    }
  }
  if (!green) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "no threshold gives GREEN (at least %d accounts) a churn rate of at most %.1f%% (%.2f x the base rate %.1f%%, "
        "at %.2f standard errors)",
        min_accounts, 100 * targets.green_ratio * base, targets.green_ratio, 100 * base, targets.z));
  }
  // RED below the highest threshold under GREEN whose accounts churn often enough.
  for (int y = static_cast<int>(out.green_from) - 1; y >= 1; --y) {
    const ChurnRate r = Between(score, churned, -1e300, y);
    if (r.accounts >= min_accounts && Wilson(r, targets.z).first >= targets.red_lift * base) {
      out.yellow_from = y;
      return out;
    }
  }
  return absl::FailedPreconditionError(absl::StrFormat(
      "no threshold below GREEN (from %.0f) gives RED (at least %d accounts) a churn rate of at least %.1f%% "
      "(%.2f x the base rate %.1f%%, at %.2f standard errors)",
      out.green_from, min_accounts, 100 * targets.red_lift * base, targets.red_lift, 100 * base, targets.z));
}

}  // namespace retention::train
