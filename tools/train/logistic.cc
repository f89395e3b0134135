#include "tools/train/logistic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace retention::train {
namespace {

// Newton's method on this convex loss converges in under 10 steps; many more means the
// labels are (nearly) separable without a penalty.
constexpr int kMaxIterations = 50;

double Sigmoid(double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); }

// Solves a x = b for a symmetric positive definite a (Gaussian elimination with
// partial pivoting; the systems here are 15 x 15).
std::vector<double> Solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < n; ++r) {
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    }
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (size_t r = c + 1; r < n; ++r) {
      const double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (size_t i = n; i-- > 0;) {
    double s = b[i];
    for (size_t k = i + 1; k < n; ++k) s -= a[i][k] * x[k];
    x[i] = s / a[i][i];
  }
  return x;
}

}  // namespace

absl::StatusOr<LogisticFit> FitLogistic(const Matrix& x, const std::vector<int>& y, double l2) {
  if (x.empty() || x.size() != y.size()) {
    return absl::FailedPreconditionError(absl::StrCat("nothing to fit: ", x.size(), " rows, ", y.size(), " labels"));
  }
  const size_t positives = static_cast<size_t>(std::count(y.begin(), y.end(), 1));
  if (positives == 0 || positives == y.size()) {
    return absl::FailedPreconditionError(absl::StrCat("all ", y.size(), " labels are ", positives == 0 ? 0 : 1,
                                                      ": a model needs accounts of both outcomes to tell apart"));
  }
  const size_t cols = x[0].size();
  LogisticFit fit;
  fit.mean.assign(cols, 0);
  fit.scale.assign(cols, 1);
  for (size_t j = 0; j < cols; ++j) {
    double sum = 0, sq = 0;
    int n = 0;
    for (const auto& row : x) {
      if (!row[j]) continue;
      sum += *row[j];
      ++n;
    }
    fit.mean[j] = n > 0 ? sum / n : 0;
    for (const auto& row : x) {
      const double v = row[j].value_or(fit.mean[j]) - fit.mean[j];
      sq += v * v;
    }
    const double sd = x.empty() ? 0 : std::sqrt(sq / static_cast<double>(x.size()));
    fit.scale[j] = sd > 1e-12 ? sd : 1;
  }
  // Standardised design with a leading 1 for the intercept.
  std::vector<std::vector<double>> z(x.size(), std::vector<double>(cols + 1, 1));
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = 0; j < cols; ++j) z[i][j + 1] = (x[i][j].value_or(fit.mean[j]) - fit.mean[j]) / fit.scale[j];
  }
  std::vector<double> w(cols + 1, 0);
  for (fit.iterations = 1; fit.iterations <= kMaxIterations; ++fit.iterations) {
    std::vector<double> grad(cols + 1, 0);
    std::vector<std::vector<double>> hess(cols + 1, std::vector<double>(cols + 1, 0));
    for (size_t i = 0; i < z.size(); ++i) {
      const double p = Sigmoid(std::inner_product(w.begin(), w.end(), z[i].begin(), 0.0));
      const double r = p * (1 - p);
      for (size_t a = 0; a <= cols; ++a) {
        grad[a] += (p - y[i]) * z[i][a];
        for (size_t b = 0; b <= a; ++b) hess[a][b] += r * z[i][a] * z[i][b];
      }
    }
    for (size_t a = 0; a <= cols; ++a) {
      for (size_t b = 0; b < a; ++b) hess[b][a] = hess[a][b];
      if (a > 0) {
        grad[a] += l2 * w[a];
        hess[a][a] += l2;
      }
    }
    const std::vector<double> step = Solve(hess, grad);
    double largest = 0;
    for (size_t a = 0; a <= cols; ++a) {
      if (!std::isfinite(step[a])) return absl::InternalError("Newton's method diverged (a feature separates the labels?)");
      w[a] -= step[a];
      largest = std::max(largest, std::abs(step[a]));
    }
    if (largest < 1e-9) break;
  }
  if (fit.iterations > kMaxIterations) {
    return absl::InternalError(absl::StrCat("Newton's method did not converge in ", kMaxIterations, " steps"));
  }
  fit.intercept = w[0];
  fit.coefficients.assign(w.begin() + 1, w.end());
  return fit;
}

double PredictLogistic(const LogisticFit& fit, const std::vector<std::optional<double>>& row) {
  double z = fit.intercept;
  for (size_t j = 0; j < fit.coefficients.size(); ++j) {
    z += fit.coefficients[j] * (row[j].value_or(fit.mean[j]) - fit.mean[j]) / fit.scale[j];
  }
  return Sigmoid(z);
}

double Auc(const std::vector<double>& score, const std::vector<int>& y) {
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] < score[b]; });
  // Mann-Whitney: the sum of the positives' ranks, tied scores sharing their mean rank.
  double rank_sum = 0;
  double positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && score[order[j]] == score[order[i]]) ++j;
    const double mean_rank = (i + 1 + j) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (y[order[k]] == 1) {
        rank_sum += mean_rank;
        ++positives;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(score.size()) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

double TopDecileLift(const std::vector<double>& score, const std::vector<int>& y) {
  if (score.empty()) return 0;
  std::vector<size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  const size_t top = std::max<size_t>(1, (score.size() + 9) / 10);
  double top_positive = 0;
  for (size_t i = 0; i < top; ++i) top_positive += y[order[i]];
  const double all_positive = std::accumulate(y.begin(), y.end(), 0.0);
  if (all_positive == 0) return 0;
  return (top_positive / top) / (all_positive / static_cast<double>(y.size()));
}

std::vector<CalibrationBin> Calibration(const std::vector<double>& probability, const std::vector<int>& y, int bins) {
  std::vector<size_t> order(probability.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return probability[a] < probability[b]; });
  std::vector<CalibrationBin> out;
  for (int b = 0; b < bins; ++b) {
    const size_t from = order.size() * b / bins;
    const size_t to = order.size() * (b + 1) / bins;
    if (from == to) continue;
    CalibrationBin bin;
    for (size_t i = from; i < to; ++i) {
      bin.predicted += probability[order[i]];
      bin.observed += y[order[i]];
    }
    bin.count = static_cast<int>(to - from);
    bin.predicted /= bin.count;
    bin.observed /= bin.count;
    out.push_back(bin);
  }
  return out;
}

double Brier(const std::vector<double>& probability, const std::vector<int>& y) {
  double sum = 0;
  for (size_t i = 0; i < y.size(); ++i) sum += (probability[i] - y[i]) * (probability[i] - y[i]);
  return y.empty() ? 0 : sum / static_cast<double>(y.size());
}

}  // namespace retention::train
