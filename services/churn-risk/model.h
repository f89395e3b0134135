// The churn model's arithmetic, free of storage and transport: a logistic model over
// scaled features gives the probability; tiers, ranked drivers, revenue at risk and
// retention priority follow; hysteresis decides whether a change is worth a signal.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "retention/v1/churn_risk.pb.h"

namespace retention::churn {

using FeatureValues = std::map<v1::ChurnFeature, double>;

// Parses and checks a model in text format; errors read "<file>:<line>: <reason>".
absl::StatusOr<v1::ChurnModel> ParseModel(const std::string& text, absl::string_view file_name);
absl::StatusOr<v1::ChurnModel> LoadModel(const std::string& path);

struct Prediction {
  double log_odds = 0;
  double probability = 0;
  v1::RiskTier tier = v1::RISK_TIER_UNSPECIFIED;
  // Every feature's contribution, largest first; the model's top_drivers with a
  // positive contribution are the account's drivers.
  std::vector<v1::RiskDriver> contributions;
};

// A missing feature counts as its mean (contributes nothing).
Prediction Predict(const v1::ChurnModel& model, const FeatureValues& features);

v1::RiskTier TierFor(const v1::ChurnModel& model, double probability);

// The features pushing risk up, largest first, at most the model's top_drivers.
std::vector<v1::RiskDriver> TopDrivers(const v1::ChurnModel& model, const Prediction& prediction);

// probability x ARR x (1 + strategic_weight x importance / 10), importance 0-10.
double RetentionPriority(const v1::ChurnModel& model, double probability, int64_t arr, int strategic_importance);

struct Published {
  double probability = 0;
  v1::RiskTier tier = v1::RISK_TIER_UNSPECIFIED;
};

// Publish the first risk, a tier change, or a move of at least publish_min_change.
bool ShouldPublish(const v1::ChurnModel& model, const std::optional<Published>& last, double probability,
                   v1::RiskTier tier);

}  // namespace retention::churn
