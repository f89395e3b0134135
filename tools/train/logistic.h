// Logistic regression for the churn model, and the measures a backtest reports.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace retention::train {

// Rows of features; a missing value is nullopt (imputed with the column mean).
using Matrix = std::vector<std::vector<std::optional<double>>>;

struct LogisticFit {
  std::vector<double> mean;   // per column, over the rows fitted on
  std::vector<double> scale;  // population standard deviation (1 for a constant column)
  std::vector<double> coefficients;  // per scaled unit
  double intercept = 0;
  int iterations = 0;
};

// Fits P(y=1) = sigmoid(intercept + sum coefficient_j (x_j - mean_j) / scale_j) by
// Newton's method, minimising log-loss + l2 / 2 * |coefficients|^2 (the intercept is
// not penalised; l2 = 1 is scikit-learn's default C = 1 on standardised features).
// FAILED_PRECONDITION when there is nothing to fit: no rows, or every label the same
// (the intercept would run off to infinity); INTERNAL if Newton's method diverges.
absl::StatusOr<LogisticFit> FitLogistic(const Matrix& x, const std::vector<int>& y, double l2 = 1.0);

double PredictLogistic(const LogisticFit& fit, const std::vector<std::optional<double>>& row);

// Area under the ROC curve: the chance a random positive scores above a random
// negative (ties count half).
double Auc(const std::vector<double>& score, const std::vector<int>& y);

// Positive rate among the top tenth by score over the positive rate of all.
double TopDecileLift(const std::vector<double>& score, const std::vector<int>& y);

struct CalibrationBin {
  double predicted = 0;  // mean predicted probability
  double observed = 0;   // share of positives
  int count = 0;
};
// Equal-count bins by predicted probability, lowest first.
std::vector<CalibrationBin> Calibration(const std::vector<double>& probability, const std::vector<int>& y, int bins = 10);

// Mean squared error of the probabilities.
double Brier(const std::vector<double>& probability, const std::vector<int>& y);

}  // namespace retention::train
