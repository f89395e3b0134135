// Whether health bands mean outcomes: each band's observed churn rate against the base
// rate, and band thresholds fitted so that RED accounts churn at least a multiple of
// the base rate and GREEN accounts at most a fraction of it.
#pragma once

#include <map>
#include <vector>

#include "absl/status/statusor.h"
#include "retention/v1/health.pb.h"

namespace retention::train {

struct ChurnRate {
  int accounts = 0;
  int churned = 0;
  double rate() const { return accounts > 0 ? static_cast<double>(churned) / accounts : 0; }
};

struct BandRates {
  ChurnRate all;
  std::map<v1::HealthBand, ChurnRate> bands;  // RED, YELLOW and GREEN, even when empty
};

// Each score's band by `scorecards`' thresholds (as health-score bands it), and the
// churn rate of each band.
BandRates BandChurnRates(const v1::ScorecardSet& scorecards, const std::vector<double>& score,
                         const std::vector<int>& churned);

struct BandTargets {
  double red_lift = 2.0;      // RED's churn rate at least this times the base rate
  double green_ratio = 0.5;   // GREEN's at most this times the base rate
  double min_share = 0.05;    // each of RED and GREEN holds at least this share of accounts
  // How sure: the targets hold for the bounds of the Wilson interval of each band's
  // rate at this many standard errors (1.96: 95%), not only for the rate observed,
  // so that they hold on other accounts too. 0: the observed rates.
  double z = 1.96;
};

struct BandThresholds {
  double yellow_from = 0;
  double green_from = 0;
};

// Whole-point thresholds that meet `targets` with GREEN, then RED, as large as they
// can be (the most accounts told apart). FAILED_PRECONDITION, saying which band, when
// no threshold meets them or every label is the same.
absl::StatusOr<BandThresholds> FitBands(const std::vector<double>& score, const std::vector<int>& churned,
                                        const BandTargets& targets);

}  // namespace retention::train
